"""The dashboard in a real browser (Debian's chromium via Playwright) against the live stack.

Screenshots of every tab go to test-artifacts/; with UPDATE_SCREENSHOTS=1 they also replace
docs/screenshots/{datasets,training,inference,status}.png.
"""

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.helpers import unique
from tests.processes import ROOT, Process, free_port, wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
WAIT_MS = 60_000
RERUN_START_MS = 1_500
TRAIN_WAIT_MS = 300_000  # an upper bound for a loaded machine, not a speed check

pytestmark = pytest.mark.timeout(900)  # `make test` installs Debian's chromium first


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok"
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def dashboard_url(rest_proxy: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port, talking to the live proxy."""
    port = free_port()
    args = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py"]
    args += ["--server.headless", "true", "--server.port", str(port)]
    args += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "MLSERVICE_REST_URL": rest_proxy}
    app = Process(args, env, tmp_path_factory.mktemp("streamlit") / "streamlit.log")
    app.start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if not app.alive():
            raise RuntimeError(f"streamlit exited early:\n{app.log()[-4000:]}")
        return _healthy(url)

    wait_until(ready, 60, "streamlit")
    yield url
    app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium."""
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def rerun(page: Page) -> None:
    """After an interaction: let the rerun it triggers start (if not over yet), then finish."""
    with contextlib.suppress(AssertionError):
        expect(page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "running", timeout=RERUN_START_MS
        )
    settle(page)


def screenshot(page: Page, name: str) -> None:
    """Save the whole tab to test-artifacts/, and to docs/screenshots/ when asked to."""
    settle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size or VIEWPORT
    content = page.get_by_test_id("stMainBlockContainer").evaluate("e => e.scrollHeight")
    page.set_viewport_size({**size, "height": min(max(size["height"], content + 80), 3000)})
    settle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")


def open_tab(page: Page, name: str) -> None:
    """Click a tab and wait for its run."""
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name, selected=True)).to_be_visible()
    rerun(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick the option starting with `option` in the selectbox labelled `label`."""
    settle(page)
    page.get_by_label(label, exact=True).click()
    page.keyboard.type(option)  # filter: long option lists only render what is in view
    page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}\b")).first.click()
    rerun(page)


def fill(page: Page, label: str, text: str) -> None:
    """Type into a text input and commit it (Enter)."""
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Enter")
    rerun(page)


def upload_iris(page: Page, iris_file: Path, dataset_id: str) -> None:
    expander = page.get_by_test_id("stExpander").filter(has_text="Upload a CSV or JSON file")
    expect(expander).to_be_visible()
    if expander.locator("details[open]").count() == 0:  # open unless there are no datasets
        expander.get_by_text("Upload a CSV or JSON file").click()
    page.locator("input[type=file]").set_input_files(str(iris_file))
    expect(page.get_by_text("iris.csv")).to_be_visible()
    fill(page, "Dataset name", dataset_id)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text(f"{dataset_id} version 1: 150 rows")).to_be_visible(timeout=WAIT_MS)


def train(page: Page, dataset_id: str, model_id: str) -> None:
    choose(page, "Model class", "LogisticRegression")
    choose(page, "Dataset", dataset_id)
    fill(page, "Model id (optional)", model_id)
    page.get_by_role("button", name="Start training").click()
    ready = page.get_by_text(f"{model_id} v1 is READY")
    expect(ready).to_be_visible(timeout=TRAIN_WAIT_MS)


def predict_first_row(page: Page, model_id: str) -> None:
    choose(page, "Model", model_id)
    expect(page.locator(f".st-key-inf-version-{model_id}")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.get_by_text(f"Predictions of {model_id} v1")).to_be_visible(timeout=WAIT_MS)
    metric = page.get_by_test_id("stMetric").filter(has_text="Predicted target")
    expect(metric.get_by_test_id("stMetricValue")).to_have_text("0")
    expect(page.get_by_role("button", name="Download CSV")).to_be_visible()


def test_every_tab_in_chromium(dashboard_url: str, browser: Browser, iris_file: Path) -> None:
    dataset_id, model_id = unique("web-iris"), unique("web-lr")
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(WAIT_MS)
    page.goto(dashboard_url)
    expect(page.get_by_role("heading", name="mlservice")).to_be_visible()

    upload_iris(page, iris_file, dataset_id)
    expect(page.get_by_text(f"Versions of {dataset_id}")).to_be_visible()
    screenshot(page, "datasets")

    open_tab(page, "Training")
    train(page, dataset_id, model_id)
    choose(page, "Model", model_id)
    expect(page.get_by_role("heading", name=re.compile(re.escape(model_id)))).to_be_visible()
    expect(page.get_by_text("Metrics across versions")).to_be_visible()
    screenshot(page, "training")

    open_tab(page, "Inference")
    predict_first_row(page, model_id)
    screenshot(page, "inference")

    open_tab(page, "Status")
    expect(page.get_by_role("heading", name="Components")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Uptime")).to_be_visible()
    screenshot(page, "status")
    page.close()
