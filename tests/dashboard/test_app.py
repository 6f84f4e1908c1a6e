"""create_app() may be called any number of times in one process: each app serves its own page and callbacks."""

from __future__ import annotations

import json

from dashboard import create_app
from dashboard.ui import ids
from dashboard.view.state import ViewState


def render_details_request(view: dict) -> dict:
    """The body Dash's renderer POSTs for the details panel callback."""
    return {
        "output": f"{ids.DETAILS}.children",
        "outputs": {"id": ids.DETAILS, "property": "children"},
        "inputs": [{"id": ids.VIEW, "property": "data", "value": view}],
        "changedPropIds": [f"{ids.VIEW}.data"],
        "state": [],
    }


def test_two_apps_in_one_process_each_serve_layout_and_callbacks() -> None:
    apps = [create_app(), create_app()]
    for app in apps:
        client = app.server.test_client()
        assert client.get("/_dash-layout").status_code == 200
        dependencies = client.get("/_dash-dependencies").get_json()
        outputs = {d["output"] for d in dependencies}
        assert f"{ids.DETAILS}.children" in outputs and f"{ids.SIZED_VIEW}.data" in outputs
        response = client.post(
            "/_dash-update-component",
            data=json.dumps(render_details_request(ViewState(select="hub-ganzhou").to_dict())),
            content_type="application/json",
        )
        assert response.status_code == 200, response.data[:300]
        assert "Ganzhou" in response.get_data(as_text=True)


def test_each_app_registers_its_callbacks_once() -> None:
    first, second = create_app(), create_app()
    assert set(first.callback_map) == set(second.callback_map)
    assert len(first.callback_map) == len(second.callback_map) > 5


def test_a_forged_store_posted_to_a_callback_is_not_a_server_error() -> None:
    client = create_app().server.test_client()
    forged = {**ViewState().to_dict(), "story": "/etc/passwd.yaml", "zzz": 1, "layers": "x", "select": "hub-ganzhou"}
    response = client.post(
        "/_dash-update-component", data=json.dumps(render_details_request(forged)), content_type="application/json"
    )
    assert response.status_code == 200
    assert "Ganzhou" in response.get_data(as_text=True)  # the valid keys are kept
