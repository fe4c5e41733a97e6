from tests.helpers import Site


def test_home_page_is_dutch_by_default(site: Site) -> None:
    response = site.client.get("/")
    assert response.status_code == 200
    assert '<html lang="nl"' in response.text
    assert "Naar de inhoud" in response.text


def test_live_node_serves_home(live_node) -> None:
    import httpx2 as httpx

    assert httpx.get(live_node.url + "/").status_code == 200
