"""The rules engine on its own: plain Python, no database."""

import random
import time
import unicodedata

import pytest

from routing import demo
from routing.quality import demo_ruleset
from routing.rules import Facts, RuleError, RuleSet, RuleSpec, compile_condition, validate_rule
from routing.rules.text import normalize


def tagging(*conditions: tuple[str, str, str], group: str = "any_of", **actions) -> RuleSet:
    """One rule adding the tag ``hit`` when ``conditions`` hold."""
    spec = RuleSpec(id=1, name="Probe", add_tags=("hit",), **{group: conditions}, **actions)
    return RuleSet([spec])


def matches(ruleset: RuleSet, **facts) -> bool:
    return ruleset.evaluate(Facts(**facts)).tags == ["hit"]


# --- Words and phrases ----------------------------------------------------------


class TestNormalize:
    def test_it_lowercases_and_drops_every_accent_and_combining_mark(self):
        assert normalize("RETRASÓ ¿Envío? Ñandú") == "retraso ¿envio? nandu"

    def test_it_drops_what_unicode_calls_combining_and_nothing_else(self):
        # Every code point up to the end of the Cyrillic supplement and the
        # combining blocks further on, in one text: compared with the plain
        # definition, character by character.
        text = "".join(map(chr, [*range(0x20, 0x530), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00)]))
        decomposed = unicodedata.normalize("NFKD", text.casefold())

        assert normalize(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class TestKeywordMatching:
    @pytest.mark.parametrize("message", ["Lleva una semana de RETRASÓ", "retraso", "¡Retraso!"])
    def test_it_ignores_case_and_accents(self, message):
        assert matches(tagging(("message", "contains_any", "retraso")), message=message)

    def test_it_ignores_accents_written_in_the_rule(self):
        assert matches(tagging(("message", "contains_any", "contraseña, sesión")), message="CONTRASENA")

    def test_it_matches_whole_words_only(self):
        ruleset = tagging(("message", "contains_any", "tarde"))
        assert not matches(ruleset, message="Por las tardes no hay nadie")
        assert not matches(ruleset, message="Ha llegado retardado")
        assert matches(ruleset, message="Llegó tarde, otra vez")

    def test_a_final_star_matches_the_word_prefix(self):
        ruleset = tagging(("message", "contains_any", "tarde*"))
        assert matches(ruleset, message="Por las tardes no hay nadie")
        assert not matches(ruleset, message="Ha llegado retardado")

    def test_it_matches_a_phrase_only_in_that_order(self):
        ruleset = tagging(("message", "contains_any", "no ha llegado"))
        assert matches(ruleset, message="Mi pedido NO HA LLEGADO todavía")
        assert matches(ruleset, message="no   ha\nllegado")
        assert not matches(ruleset, message="Ha llegado, no sé cuándo")

    def test_a_star_on_a_phrase_is_a_prefix_of_its_last_word(self):
        ruleset = tagging(("message", "contains_any", "no llega*"))
        assert matches(ruleset, message="El paquete no llegaba nunca")
        assert matches(ruleset, message="no llega")
        assert not matches(ruleset, message="no me llega")

    @pytest.mark.parametrize("message", ["It hasn't arrived", "It HASN\u2019T arrived yet", "hasn t arrived"])
    def test_it_matches_phrases_with_apostrophes(self, message):
        assert matches(tagging(("message", "contains_any", "hasn't arrived")), message=message)

    def test_the_text_field_searches_subject_and_message(self):
        ruleset = tagging(("text", "contains_any", "factura"))
        assert matches(ruleset, subject="Factura", message="Hola")
        assert matches(ruleset, subject="Hola", message="la factura")
        assert not matches(tagging(("message", "contains_any", "factura")), subject="Factura", message="Hola")

    def test_contains_all_needs_every_term(self):
        ruleset = tagging(("message", "contains_all", "pedido, retras*"))
        assert matches(ruleset, message="El pedido va retrasado")
        assert not matches(ruleset, message="El pedido llegó bien")

    def test_terms_can_be_separated_by_new_lines(self):
        ruleset = tagging(("message", "contains_any", "roto\ndamaged"))
        assert matches(ruleset, message="It arrived damaged")
        assert matches(ruleset, message="Vino roto")

    def test_an_empty_text_matches_no_word(self):
        assert not matches(tagging(("message", "contains_any", "retraso")), message="")


# --- Other fields and operators -------------------------------------------------


class TestOperators:
    @pytest.mark.parametrize(
        ("operator", "value", "days", "expected"),
        [
            ("gt", "3", 4, True),
            ("gt", "3", 3, False),
            ("gte", "3", 3, True),
            ("lt", "3", 2, True),
            ("lt", "3", 3, False),
            ("lte", "3", 3, True),
            ("equals", "3", 3, True),
            ("equals", "2.5", 3, False),
        ],
    )
    def test_numbers_compare(self, operator, value, days, expected):
        assert matches(tagging(("days_late", operator, value)), days_late=days) is expected

    @pytest.mark.parametrize("operator", ["gt", "gte", "lt", "lte", "equals"])
    def test_an_unknown_number_never_matches(self, operator):
        assert not matches(tagging(("days_since_order", operator, "0")), days_since_order=None)

    @pytest.mark.parametrize(
        ("value", "present", "expected"),
        [
            ("yes", True, True),
            ("sí", True, True),
            ("no", False, True),
            ("yes", False, False),
            ("0", True, False),
        ],
    )
    def test_booleans_are_compared_with_is(self, value, present, expected):
        assert matches(tagging(("has_order_reference", "is", value)), has_order_reference=present) is expected

    def test_choice_equals_ignores_case(self):
        ruleset = tagging(("channel", "equals", "Web"))
        assert matches(ruleset, channel="web")
        assert not matches(ruleset, channel="email")

    def test_choice_in_accepts_any_listed_value_ignoring_case(self):
        ruleset = tagging(("kind", "in", "Praise, COMMENT"))
        assert matches(ruleset, kind="praise")
        assert matches(ruleset, kind="comment")
        assert not matches(ruleset, kind="complaint")
        assert not matches(ruleset, kind="")

    def test_regex_ignores_case(self):
        ruleset = tagging(("message", "regex", r"PED-\d{4}"))
        assert matches(ruleset, message="mi pedido ped-1234 no llega")
        assert not matches(ruleset, message="mi pedido ped-12")

    def test_the_patterns_of_a_field_are_scanned_together_but_hit_separately(self):
        # One RE2 set runs every pattern of a field in one pass over the text.
        ruleset = RuleSet(
            [
                RuleSpec(id=1, name="Order", any_of=(("message", "regex", r"ped-\d+"),), add_tags=("order",)),
                RuleSpec(
                    id=2, name="Refund", any_of=(("message", "regex", r"reembols\w*"),), add_tags=("refund",)
                ),
                RuleSpec(id=3, name="Same", all_of=(("message", "regex", r"ped-\d+"),), add_tags=("again",)),
            ]
        )
        assert ruleset.evaluate(Facts(message="El PED-42 no llega")).tags == ["order", "again"]
        assert ruleset.evaluate(Facts(message="quiero un reembolso")).tags == ["refund"]
        assert ruleset.evaluate(Facts(message="nada que ver")).tags == []

    def test_regex_explains_what_it_matched(self):
        decision = tagging(("message", "regex", r"PED-\d+")).evaluate(Facts(message="el ped-77 falta"))
        assert decision.matches[0].conditions[0].matched == ["ped-77"]

    def test_a_catastrophic_regex_returns_promptly(self):
        # A backtracking engine needs astronomically long on this; RE2 is linear.
        ruleset = tagging(("message", "regex", "(a+)+$"))
        started = time.monotonic()
        assert not matches(ruleset, message="a" * 100_000 + "!")
        assert matches(ruleset, message="a" * 100_000)
        assert time.monotonic() - started < 1


class TestCaseFields:
    @pytest.mark.parametrize(
        ("condition", "facts", "expected"),
        [
            (("language", "equals", "es"), {"language": "ES"}, True),
            (("language", "in", "en, fr"), {"language": "es"}, False),
            (("product", "contains_any", "lavadora*"), {"product": "Lavadoras y secadoras"}, True),
            (("product", "equals", "Televisores"), {"product": "televisores"}, True),
            (("store", "in", "Sol, Gran Vía"), {"store": "gran vía"}, True),
            (("store", "regex", "^madrid"), {"store": "Barcelona Diagonal"}, False),
            (("segment", "equals", "vip"), {"segment": "VIP"}, True),
            (("segment", "equals", "vip"), {"segment": ""}, False),
            (("channel", "in", "phone, store"), {"channel": "store"}, True),
            (("has_attachments", "is", "no"), {}, True),
            (("has_attachments", "is", "yes"), {"has_attachments": True}, True),
            (("days_since_order", "gte", "30"), {"days_since_order": 45}, True),
            (("previous_cases", "gte", "3"), {"previous_cases": 3}, True),
            (
                ("previous_cases_30_days", "gte", "3"),
                {"previous_cases": 5, "previous_cases_30_days": 2},
                False,
            ),
            (("previous_cases_30_days", "gt", "1"), {"previous_cases_30_days": 2}, True),
        ],
    )
    def test_each_case_field_can_be_a_condition(self, condition, facts, expected):
        assert matches(tagging(condition), **facts) is expected

    def test_choice_contains_any_matches_whole_words(self):
        ruleset = tagging(("product", "contains_any", "tv"))
        assert matches(ruleset, product="TV 55 pulgadas")
        assert not matches(ruleset, product="TVs")


class TestConditionGroups:
    def test_all_of_needs_every_condition(self):
        ruleset = tagging(("message", "contains_any", "roto"), ("kind", "equals", "claim"), group="all_of")
        assert matches(ruleset, message="Vino roto", kind="claim")
        assert not matches(ruleset, message="Vino roto", kind="comment")

    def test_any_of_needs_one_condition(self):
        ruleset = tagging(("message", "contains_any", "roto"), ("kind", "equals", "claim"))
        assert matches(ruleset, message="Vino roto", kind="comment")
        assert matches(ruleset, message="Todo bien", kind="claim")
        assert not matches(ruleset, message="Todo bien", kind="comment")

    def test_both_groups_must_hold(self):
        spec = RuleSpec(
            id=1,
            name="Both",
            all_of=(("kind", "equals", "claim"),),
            any_of=(("message", "contains_any", "roto"), ("message", "contains_any", "damaged")),
            add_tags=("hit",),
        )
        ruleset = RuleSet([spec])
        assert matches(ruleset, kind="claim", message="damaged")
        assert not matches(ruleset, kind="comment", message="damaged")
        assert not matches(ruleset, kind="claim", message="fine")

    def test_empty_condition_lists_are_true(self):
        assert matches(RuleSet([RuleSpec(id=1, name="Always", add_tags=("hit",))]), message="anything")


MISSING_ITEM = RuleSpec(
    id=1,
    name="Missing item",
    any_of=(("text", "contains_any", "falta el, faltan"),),
    none_of=(("text", "contains_any", "falta el ticket, hace falta"),),
    add_tags=("hit",),
)


class TestNoneOf:
    def test_a_none_of_phrase_excludes_a_misleading_idiom(self):
        ruleset = RuleSet([MISSING_ITEM])
        assert matches(ruleset, message="En la caja falta el cargador")
        assert not matches(ruleset, message="Me falta el ticket de compra")
        assert not matches(ruleset, subject="Hace falta", message="faltan dos tornillos")
        assert not matches(ruleset, message="Todo correcto")

    def test_a_none_of_regex_excludes_the_rule(self):
        ruleset = tagging(
            ("message", "contains_any", "reembolso"), none_of=(("subject", "regex", r"^\s*re:"),)
        )
        assert matches(ruleset, subject="Reembolso", message="Quiero un reembolso")
        assert not matches(ruleset, subject="RE: pedido", message="Quiero un reembolso")

    def test_a_pattern_can_be_wanted_by_one_rule_and_excluded_by_another(self):
        # Both rules share one entry of the field's RE2 set.
        ruleset = RuleSet(
            [
                RuleSpec(id=1, name="Order", any_of=(("message", "regex", r"ped-\d+"),), add_tags=("order",)),
                RuleSpec(
                    id=2,
                    name="No order",
                    all_of=(("kind", "equals", "complaint"),),
                    none_of=(("message", "regex", r"ped-\d+"),),
                    add_tags=("no-order",),
                ),
            ]
        )
        assert ruleset.evaluate(Facts(kind="complaint", message="el PED-42 no llega")).tags == ["order"]
        assert ruleset.evaluate(Facts(kind="complaint", message="no llega")).tags == ["no-order"]

    def test_all_of_and_none_of_alone(self):
        ruleset = tagging(
            ("kind", "equals", "complaint"), group="all_of", none_of=(("text", "contains_any", "gracias"),)
        )
        assert matches(ruleset, kind="complaint", message="Llegó tarde")
        assert not matches(ruleset, kind="complaint", message="Gracias, pero llegó tarde")
        assert not matches(ruleset, kind="praise", message="Llegó pronto")

    def test_none_of_alone_matches_everything_else(self):
        ruleset = RuleSet(
            [
                RuleSpec(
                    id=1, name="Not thanks", none_of=(("text", "contains_any", "gracias"),), add_tags=("hit",)
                )
            ]
        )
        assert matches(ruleset, message="hola")
        assert matches(ruleset, message="")
        assert not matches(ruleset, message="muchas gracias")

    def test_the_explanation_names_only_the_conditions_that_held(self):
        decision = RuleSet([MISSING_ITEM]).evaluate(Facts(message="Falta el cargador"))
        (match,) = decision.matches
        assert [(h.field, h.operator, h.value, h.matched) for h in match.conditions] == [
            ("text", "contains_any", "falta el, faltan", ["falta el"])
        ]

    def test_an_invalid_none_of_condition_is_refused(self):
        with pytest.raises(RuleError) as caught:
            validate_rule(
                RuleSpec(id=1, name="Bad", none_of=(("message", "regex", "(falta"),), add_tags=("x",))
            )
        assert caught.value.code == "bad_regex"


# --- Refusing invalid rules -----------------------------------------------------


class TestInvalidRules:
    @pytest.mark.parametrize(
        ("condition", "code"),
        [
            (("colour", "equals", "red"), "unknown_field"),
            (("days_late", "contains_any", "late"), "bad_operator"),
            (("message", "gt", "3"), "bad_operator"),
            (("kind", "no_such_operator", "x"), "bad_operator"),
            (("message", "contains_any", "   "), "empty_value"),
            (("message", "contains_any", "*, ,"), "no_terms"),
            (("days_late", "gt", "three"), "bad_number"),
            (("has_attachments", "is", "maybe"), "bad_boolean"),
            (("message", "regex", "(unclosed"), "bad_regex"),
        ],
    )
    def test_it_refuses_a_bad_condition_with_a_code(self, condition, code):
        with pytest.raises(RuleError) as caught:
            compile_condition(*condition)
        assert caught.value.code == code
        assert str(caught.value.message)

    def test_an_invalid_regex_says_why(self):
        with pytest.raises(RuleError, match="missing"):
            compile_condition("message", "regex", "(unclosed")

    def test_a_rule_that_does_nothing_is_refused(self):
        with pytest.raises(RuleError) as caught:
            validate_rule(RuleSpec(id=1, name="Idle", any_of=(("message", "contains_any", "x"),)))
        assert caught.value.code == "no_actions"

    def test_an_unknown_priority_is_refused(self):
        with pytest.raises(RuleError) as caught:
            validate_rule(RuleSpec(id=1, name="Odd", set_priority="asap"))
        assert caught.value.code == "bad_priority"

    @pytest.mark.parametrize(
        "action",
        [{"set_sla_policy": "vip"}, {"add_watchers": (3,)}, {"notify_users": (4,)}],
    )
    def test_a_rule_doing_only_a_new_action_is_valid(self, action):
        validate_rule(RuleSpec(id=1, name="People", **action))

    def test_a_rule_set_refuses_to_compile_an_invalid_rule(self):
        with pytest.raises(RuleError):
            RuleSet([RuleSpec(id=1, name="Bad", all_of=(("message", "regex", "("),), add_tags=("x",))])


# --- Several rules together -----------------------------------------------------


def rule(rule_id: int, words: str, **actions) -> RuleSpec:
    return RuleSpec(
        id=rule_id, name=f"Rule {rule_id}", any_of=(("message", "contains_any", words),), **actions
    )


class TestRuleSet:
    def test_every_matching_rule_applies_in_order(self):
        ruleset = RuleSet([rule(1, "roto", add_tags=("damaged",)), rule(2, "retraso", add_tags=("late",))])
        decision = ruleset.evaluate(Facts(message="Retraso y además roto"))
        assert decision.tags == ["damaged", "late"]
        assert [m.rule_id for m in decision.matches] == [1, 2]

    def test_stop_processing_skips_later_rules(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", add_tags=("late",), stop_processing=True),
                rule(2, "retraso", add_tags=("other",)),
            ]
        )
        decision = ruleset.evaluate(Facts(message="retraso"))
        assert decision.tags == ["late"]
        assert [m.rule_id for m in decision.matches] == [1]

    def test_stop_processing_only_counts_when_the_rule_matches(self):
        ruleset = RuleSet(
            [
                rule(1, "roto", add_tags=("damaged",), stop_processing=True),
                rule(2, "retraso", add_tags=("late",)),
            ]
        )
        assert ruleset.evaluate(Facts(message="retraso")).tags == ["late"]

    def test_the_first_department_wins(self):
        ruleset = RuleSet(
            [rule(1, "retraso", set_department="logistics"), rule(2, "cobro", set_department="billing")]
        )
        decision = ruleset.evaluate(Facts(message="retraso y cobro"))
        assert decision.department == "logistics"
        assert decision.department_rule_id == 1

    def test_a_later_rule_can_override_the_department(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", set_department="logistics"),
                rule(2, "cobro", set_department="billing", override_department=True),
            ]
        )
        decision = ruleset.evaluate(Facts(message="retraso y cobro"))
        assert decision.department == "billing"
        assert decision.department_rule_id == 2

    def test_the_most_urgent_priority_wins(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", set_priority="high"),
                rule(2, "retraso", set_priority="low"),
                rule(3, "cliente", set_priority="urgent"),
                rule(4, "retraso", set_priority="normal"),
            ]
        )
        assert ruleset.evaluate(Facts(message="retraso")).priority == "high"
        assert ruleset.evaluate(Facts(message="retraso cliente")).priority == "urgent"

    def test_tags_are_not_repeated(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", add_tags=("late", "logistics")),
                rule(2, "retraso", add_tags=("logistics", "late", "vip")),
            ]
        )
        assert ruleset.evaluate(Facts(message="retraso")).tags == ["late", "logistics", "vip"]

    def test_the_first_sla_policy_wins(self):
        ruleset = RuleSet(
            [rule(1, "cobro", set_sla_policy="billing"), rule(2, "retraso", set_sla_policy="vip")]
        )
        decision = ruleset.evaluate(Facts(message="retraso y cobro"))
        assert (decision.sla_policy, decision.sla_policy_rule_id) == ("billing", 1)
        assert ruleset.evaluate(Facts(message="retraso")).sla_policy == "vip"

    def test_watchers_and_people_to_notify_add_up_without_repeats(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", add_watchers=(5, 3), notify_users=(9,)),
                rule(2, "retraso", add_watchers=(3, 7), notify_users=(9, 5)),
                rule(3, "cobro", add_watchers=(11,), notify_users=(12,)),
            ]
        )
        decision = ruleset.evaluate(Facts(message="retraso"))
        assert decision.watchers == [5, 3, 7]
        assert decision.notify == [9, 5]

    def test_no_match_decides_nothing(self):
        decision = RuleSet([rule(1, "retraso", set_department="logistics")]).evaluate(Facts(message="hola"))
        assert (decision.tags, decision.priority, decision.department, decision.matches) == ([], "", "", [])

    def test_the_explanation_names_the_rule_its_version_and_the_words_found(self):
        spec = RuleSpec(
            id=7,
            name="Late",
            version=3,
            any_of=(("message", "contains_any", "retras*, no ha llegado, late"),),
            add_tags=("late",),
        )
        decision = RuleSet([spec]).evaluate(Facts(message="Mi pedido NO HA LLEGADO, lleva RETRASÓ"))
        (match,) = decision.matches
        assert (match.rule_id, match.name, match.version) == (7, "Late", 3)
        (hit,) = match.conditions
        # The words as found in the message, normalised: lower case, no accents.
        assert hit.matched == ["retraso", "no ha llegado"]
        assert (hit.field, hit.operator) == ("message", "contains_any")

    def test_the_decision_is_a_plain_dict(self):
        decision = RuleSet([rule(1, "retraso", add_tags=("late",))]).evaluate(Facts(message="retraso"))
        data = decision.as_dict()
        assert data["tags"] == ["late"]
        assert data["matches"][0]["conditions"][0]["matched"] == ["retraso"]

    def test_rules_on_different_fields_share_nothing(self):
        ruleset = RuleSet(
            [
                RuleSpec(
                    id=1, name="Subject", any_of=(("subject", "contains_any", "urgente"),), add_tags=("s",)
                ),
                RuleSpec(
                    id=2, name="Message", any_of=(("message", "contains_any", "urgente"),), add_tags=("m",)
                ),
            ]
        )
        assert ruleset.evaluate(Facts(subject="Urgente", message="hola")).tags == ["s"]
        assert ruleset.evaluate(Facts(subject="hola", message="urgente")).tags == ["m"]


# --- Skipping rules a message cannot match ----------------------------------------

WORDS = ["retraso", "pedido", "roto", "factura", "cobro", "tarde", "no ha llegado", "caja", "tienda"]


def random_condition(rnd: random.Random) -> tuple[str, str, str]:
    roll = rnd.random()
    if roll < 0.55:
        terms = rnd.sample(WORDS, rnd.randint(1, 3))
        terms = [t + "*" if rnd.random() < 0.2 else t for t in terms]
        field = rnd.choice(["text", "message", "subject"])
        return (field, rnd.choice(["contains_any", "contains_all"]), ", ".join(terms))
    if roll < 0.65:
        return ("message", "regex", rnd.choice([r"ped-\d+", "roto|rota", "^mi"]))
    if roll < 0.8:
        return ("kind", "in", ", ".join(rnd.sample(["complaint", "claim", "praise"], 2)))
    if roll < 0.9:
        return ("days_late", rnd.choice(["gt", "lte"]), str(rnd.randint(0, 6)))
    return ("segment", "equals", "vip")


def random_ruleset(rnd: random.Random, size: int, *, none_of: bool = False) -> RuleSet:
    specs = [
        RuleSpec(
            id=i,
            name=f"Random {i}",
            all_of=tuple(random_condition(rnd) for _ in range(rnd.choice([0, 0, 1, 2]))),
            any_of=tuple(random_condition(rnd) for _ in range(rnd.choice([0, 1, 2, 3]))),
            none_of=tuple(random_condition(rnd) for _ in range(rnd.choice([0, 1, 2]) if none_of else 0)),
            add_tags=(f"t{i}",),
            set_priority=rnd.choice(["", "low", "high", "urgent"]),
            set_department=rnd.choice(["", "logistics", "billing"]),
            override_department=rnd.random() < 0.2,
            set_sla_policy=rnd.choice(["", "", "vip"]),
            add_watchers=tuple(rnd.sample(range(1, 6), rnd.randint(0, 2))),
            notify_users=tuple(rnd.sample(range(1, 6), rnd.randint(0, 1))),
            stop_processing=rnd.random() < 0.05,
        )
        for i in range(size)
    ]
    return RuleSet(specs)


def random_facts(rnd: random.Random) -> Facts:
    filler = ["hola", "mi", "ped-12", "rota", "tardes", "llegado", "no", "ha"]
    words = rnd.sample(WORDS + filler, rnd.randint(0, 6))
    return Facts(
        subject=" ".join(rnd.sample(WORDS + filler, 2)).upper(),
        message=" ".join(words),
        kind=rnd.choice(["complaint", "claim", "praise"]),
        segment=rnd.choice(["", "vip"]),
        days_late=rnd.choice([None, 0, 3, 7]),
    )


class TestSkippingUnreachableRules:
    def test_skipping_gives_the_same_decision_as_visiting_every_rule(self):
        rnd = random.Random(20260310)
        for _ in range(60):
            ruleset = random_ruleset(rnd, rnd.randint(1, 40))
            for _ in range(25):
                facts = random_facts(rnd)
                assert (
                    ruleset.evaluate(facts).as_dict()
                    == ruleset.evaluate(facts, skip_unreachable=False).as_dict()
                ), facts

    def test_none_of_conditions_change_nothing_about_skipping(self):
        rnd = random.Random(20261202)
        for _ in range(40):
            ruleset = random_ruleset(rnd, rnd.randint(1, 30), none_of=True)
            for _ in range(25):
                facts = random_facts(rnd)
                assert (
                    ruleset.evaluate(facts).as_dict()
                    == ruleset.evaluate(facts, skip_unreachable=False).as_dict()
                ), facts

    @pytest.mark.parametrize(
        "message",
        [
            "hola",
            "falta el cargador",
            "me falta el ticket",
            "hace falta",
            "ticket",
            "faltan piezas, hace falta",
        ],
    )
    def test_none_of_terms_open_no_gates(self, message):
        ruleset = RuleSet(
            [
                MISSING_ITEM,
                RuleSpec(
                    id=2,
                    name="Claims without a ticket",
                    all_of=(("kind", "equals", "claim"),),
                    none_of=(("text", "contains_any", "ticket"),),
                    add_tags=("claim",),
                ),
                RuleSpec(
                    id=3,
                    name="Missing, gated",
                    all_of=(("message", "contains_any", "falta*"),),
                    none_of=(("message", "contains_any", "ticket"),),
                    add_tags=("gated",),
                ),
            ]
        )
        facts = Facts(kind="claim", message=message)
        skipping = ruleset.evaluate(facts)
        assert skipping.as_dict() == ruleset.evaluate(facts, skip_unreachable=False).as_dict()
        # A rule reached only through its none-of terms would be visited for nothing.
        assert ("claim" in skipping.tags) is ("ticket" not in message)

    def test_a_rule_without_keywords_is_never_skipped(self):
        ruleset = RuleSet(
            [
                rule(1, "retraso", add_tags=("late",)),
                RuleSpec(id=2, name="Claims", all_of=(("kind", "equals", "claim"),), add_tags=("claim",)),
            ]
        )
        assert ruleset.evaluate(Facts(kind="claim", message="hola")).tags == ["claim"]

    def test_a_mixed_any_of_list_is_not_a_reason_to_skip(self):
        spec = RuleSpec(
            id=1,
            name="Mixed",
            any_of=(("message", "contains_any", "roto"), ("segment", "equals", "vip")),
            add_tags=("hit",),
        )
        assert matches(RuleSet([spec]), message="hola", segment="vip")

    def test_every_keyword_of_the_all_of_list_is_needed(self):
        spec = RuleSpec(
            id=1,
            name="Both words",
            all_of=(("message", "contains_any", "roto"), ("subject", "contains_any", "pedido")),
            add_tags=("hit",),
        )
        ruleset = RuleSet([spec])
        assert matches(ruleset, subject="Pedido", message="roto")
        assert not matches(ruleset, subject="Hola", message="roto")
        assert not matches(ruleset, subject="Pedido roto", message="hola")

    def test_skipping_keeps_rule_order_and_explanations(self):
        ruleset = RuleSet(
            [rule(i, f"palabra{i}, comun*", add_tags=(f"t{i}",)) for i in range(300)]
            + [rule(300, "no ha llegado", add_tags=("late",))]
        )
        decision = ruleset.evaluate(Facts(message="palabra250 y palabra3: NO HA LLEGADO"))
        assert decision.tags == ["t3", "t250", "late"]
        assert [m.conditions[0].matched for m in decision.matches] == [
            ["palabra3"],
            ["palabra250"],
            ["no ha llegado"],
        ]

    def test_many_prefix_terms_are_found_like_a_few(self):
        many = RuleSet(
            [rule(i, f"zz{i}*", add_tags=(f"t{i}",)) for i in range(200)]
            + [rule(200, "retras*", add_tags=("late",))]
        )
        decision = many.evaluate(Facts(message="Lleva RETRASO y zz17abc"))
        assert [m.rule_id for m in decision.matches] == [1, 17, 200]
        assert [m.conditions[0].matched for m in decision.matches] == [["zz17abc"], ["zz17abc"], ["retraso"]]


# --- The demo organisation's rules on real messages -----------------------------

DEMO_MESSAGES = [
    # kind, subject, message, tags, department
    (
        "complaint",
        "Pedido",
        "Mi pedido 12345 no ha llegado, lleva 5 días de retraso",
        ["delivery-delay"],
        "logistics",
    ),
    ("complaint", "Entrega", "El repartidor llegó tarde otra vez", ["delivery-delay"], "logistics"),
    (
        "complaint",
        "Envío",
        "Todavía no me ha llegado el pedido de hace diez días",
        ["delivery-delay"],
        "logistics",
    ),
    (
        "complaint",
        "Order",
        "My order hasn't arrived yet, it is two weeks late",
        ["delivery-delay"],
        "logistics",
    ),
    ("complaint", "Where is my order?", "I am still waiting for my parcel", ["delivery-delay"], "logistics"),
    (
        "complaint",
        "Cobro",
        "Me han cobrado dos veces el mismo pedido en la tarjeta",
        ["billing-error"],
        "billing",
    ),
    (
        "complaint",
        "Charge",
        "I was charged twice for order 5561, please fix it",
        ["billing-error"],
        "billing",
    ),
    ("complaint", "Factura", "La factura tiene un importe incorrecto", ["billing-error"], "billing"),
    ("claim", "Roto", "El jarrón llegó roto, la caja estaba aplastada", ["damaged-item"], "logistics"),
    (
        "claim",
        "Damaged",
        "The TV arrived with a cracked screen and a dented box",
        ["damaged-item"],
        "logistics",
    ),
    ("complaint", "Equivocado", "Me enviaron un color equivocado", ["wrong-item"], "logistics"),
    ("complaint", "Wrong", "I received the wrong size, not what I ordered", ["wrong-item"], "logistics"),
    ("complaint", "Falta", "Falta un artículo en el paquete", ["missing-item"], "logistics"),
    (
        "complaint",
        "Missing",
        "Only received two of the three items, one is missing",
        ["missing-item"],
        "logistics",
    ),
    ("claim", "Reembolso", "Quiero el reembolso de mi devolución", ["refund"], "billing"),
    ("claim", "Refund", "I returned the shoes a month ago and still have no refund", ["refund"], "billing"),
    (
        "complaint",
        "Lavadora",
        "La lavadora no funciona desde el primer día",
        ["product-defect"],
        "product-quality",
    ),
    (
        "complaint",
        "Blender",
        "It stopped working after two days, it's faulty",
        ["product-defect"],
        "product-quality",
    ),
    (
        "complaint",
        "Atención",
        "La dependienta fue muy maleducada conmigo en la tienda de Sol",
        ["staff-attitude", "store-experience"],
        "stores",
    ),
    ("complaint", "Staff", "The cashier was rude and unfriendly", ["staff-attitude"], "stores"),
    (
        "complaint",
        "Tienda",
        "Fui por la tarde a la tienda y había mucha cola",
        ["store-experience"],
        "stores",
    ),
    ("complaint", "Probadores", "Los probadores estaban sucios", ["store-experience"], "stores"),
    ("complaint", "App", "No puedo iniciar sesión en la app, me da un error", ["website-app"], "digital"),
    (
        "complaint",
        "Login",
        "I can't log in to the website, the password reset fails",
        ["website-app"],
        "digital",
    ),
    ("praise", "Gracias", "Muchas gracias, la atención fue excelente", ["praise"], ""),
    ("praise", "Thanks", "Thank you, the delivery team was amazing", ["praise"], ""),
    ("suggestion", "Idea", "Sugiero que abran más cajas los sábados", ["suggestion"], ""),
    ("suggestion", "Size guide", "It would be nice to have a size guide", ["suggestion"], ""),
    ("question", "Horario", "Hola, buenas tardes, ¿abrís los domingos?", [], ""),
    ("comment", "Parking", "Quería comentar que el aparcamiento es amplio", [], ""),
]


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return demo_ruleset()


class TestDemoRules:
    def test_every_demo_rule_compiles(self, ruleset):
        assert len(ruleset) == len(demo.RULES)

    @pytest.mark.parametrize(("kind", "subject", "message", "tags", "department"), DEMO_MESSAGES)
    def test_it_tags_and_routes_a_realistic_message(self, ruleset, kind, subject, message, tags, department):
        decision = ruleset.evaluate(Facts(kind=kind, subject=subject, message=message))
        assert (decision.tags, decision.department) == (tags, department)

    def test_late_delivery_is_high_priority(self, ruleset):
        decision = ruleset.evaluate(Facts(kind="complaint", message="Mi pedido no ha llegado"))
        assert decision.priority == "high"

    def test_thanks_in_a_complaint_is_not_praise(self, ruleset):
        decision = ruleset.evaluate(Facts(kind="complaint", message="Gracias por nada: llegó roto"))
        assert decision.tags == ["damaged-item"]

    def test_the_first_department_wins_across_demo_rules(self, ruleset):
        decision = ruleset.evaluate(
            Facts(kind="complaint", message="Llegó con retraso y me han cobrado dos veces")
        )
        assert decision.tags == ["delivery-delay", "billing-error"]
        assert decision.department == "logistics"
