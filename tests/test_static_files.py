"""The web role serves the apps' static files itself (WhiteNoise), on brand and platform hosts."""

from django.test import Client


def test_a_brand_serves_static_files(alpha):
    client = Client()
    response = client.get("/static/site/plain.css", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.strip()


def test_an_unknown_static_file_is_404(alpha):
    client = Client()
    response = client.get("/static/site/nothing-here.js", HTTP_HOST="alpha.localhost")
    assert response.status_code == 404
