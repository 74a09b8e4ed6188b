from helpline.factories import PASSWORD


def test_login_page_renders_an_email_and_password_form(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'type="email"' in response.content
    assert b'type="password"' in response.content


def test_customer_logs_in_with_their_email_in_any_case_and_lands_on_their_tickets(desk, client):
    response = client.post(
        "/login/", {"username": desk.customer.email.upper(), "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/tickets/"
    assert response.status_code == 200


def test_wrong_password_shows_an_error_and_does_not_log_in(desk, client):
    response = client.post("/login/", {"username": desk.customer.email, "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content
    assert "_auth_user_id" not in client.session


def test_home_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_home_sends_customers_to_their_tickets(desk, client):
    client.force_login(desk.customer)
    assert client.get("/")["Location"] == "/tickets/"


def test_home_sends_agents_to_their_queue(desk, client):
    client.force_login(desk.l1)
    assert client.get("/")["Location"] == "/desk/"


def test_logout_is_a_post_that_ends_the_session(desk, client):
    client.force_login(desk.customer)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_pages_behind_login_redirect_anonymous_visitors_to_login(desk, client):
    ticket = desk.ticket()
    for url in ("/tickets/", "/tickets/new/", f"/tickets/{ticket.number}/", "/desk/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_pages_load_htmx_and_the_stylesheet_from_the_app_not_a_cdn(desk, client):
    client.force_login(desk.customer)
    html = client.get("/tickets/").content.decode()
    assert 'src="/static/web/htmx.min.js"' in html
    assert 'href="/static/web/helpline.css"' in html
    assert "https://" not in html
    assert "X-CSRFToken" in html
