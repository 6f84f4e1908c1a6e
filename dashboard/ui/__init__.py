"""The interactive page: component ids, layout, controls, details panel and the callbacks registered per app."""
