"""Models per organization: ``GET /api/orgs/{org_id}/models`` lists the registry's slugs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pytest_pipelines.local._http.deps import ModelsAuth, Page, State, paginate_list

router = APIRouter(prefix="/api", tags=["models"])


@router.get("/orgs/{org_id}/models")
def list_models(state: State, org_id: int, principal: ModelsAuth, page: Page) -> dict[str, Any]:
    """Every registered model (slug, name, description, latency), paginated."""
    principal.check_org(org_id)
    items = [
        {**entry.as_dict(), "id": entry.slug, "org_id": org_id, "provider": "local"}
        for entry in state.registry.entries()
    ]
    return paginate_list(items, page)
