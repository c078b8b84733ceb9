def test_the_favicon_is_found_on_every_page(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("cx/favicon.svg")
    assert client.get(response["Location"]).status_code == 200
