"""Pure figure builders: objects in, Plotly figure dicts out (screen map, patches, print pages); no Dash, no I/O."""
