"""GraphiQL in a real browser (``tests/e2e/browser.py``), with every request to anywhere but
the live server refused, as on a machine without internet access."""

from tests.e2e.browser import screenshot

# What the server answers: every language the app speaks.
LANGUAGES = "{ languages { code } }"


# No database access from the test itself: Playwright's sync API keeps an event loop running
# in this thread, where Django refuses database calls.
def test_graphiql_runs_a_query_without_internet_access(offline_page, debug_server):
    page = offline_page
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto(f"{debug_server.url}/graphql/")
    page.locator(".graphiql-container").wait_for(timeout=30_000)
    screenshot(page, "graphiql-1-opened")

    # The query editor takes the query, and the run button sends it.
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(LANGUAGES)
    page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response")
    response.get_by_text('"kk"').wait_for(timeout=15_000)
    screenshot(page, "graphiql-2-answered")

    text = response.inner_text()
    for code in ("en", "ru", "kk", "ur"):
        assert f'"{code}"' in text
    assert page.refused == []
    assert failed == []
