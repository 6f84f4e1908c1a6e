"""Every component id of the dashboard, in one place."""

PREFIX = "atlas"

URL = f"{PREFIX}-url"
VIEW = f"{PREFIX}-view"  # Store: the current ViewState as a dict
DRAWN = f"{PREFIX}-drawn"  # Store: the ViewState the figure on screen was built for
MAP = f"{PREFIX}-map"
TITLE = f"{PREFIX}-title"
NOTICE = f"{PREFIX}-notice"
DETAILS = f"{PREFIX}-details"
LAYER_GROUP = f"{PREFIX}-layer-group"  # pattern-matching type; key "theme"
LAYER_GROUP_TITLE = f"{PREFIX}-layer-group-title"  # pattern-matching type; key "theme"
PROVINCES = f"{PREFIX}-provinces"
LEVEL = f"{PREFIX}-level"
LANG = f"{PREFIX}-lang"
LABELS = f"{PREFIX}-labels"
SEARCH = f"{PREFIX}-search"
RESET = f"{PREFIX}-reset"
TEXT = f"{PREFIX}-text"  # pattern-matching type; key "key": a translated static label
COUNTS = f"{PREFIX}-counts"
PICK = f"{PREFIX}-pick"  # pattern-matching type; key "id": a feature listed in the details panel
SIZED_VIEW = f"{PREFIX}-sized-view"  # Store: the view plus the map panel's aspect ratio, from the browser
ROOT = f"{PREFIX}-root"
PRESENT = f"{PREFIX}-present"  # button: enter or leave presenter mode
STEP_PREV = f"{PREFIX}-step-prev"
STEP_NEXT = f"{PREFIX}-step-next"
STEP_COUNTER = f"{PREFIX}-step-counter"
CONTROLS_TOGGLE = f"{PREFIX}-controls-toggle"  # presenter mode: show or hide the controls (client side)
EXPORT_FORMAT = f"{PREFIX}-export-format"
EXPORT_SIZE = f"{PREFIX}-export-size"
EXPORT_WIDTH = f"{PREFIX}-export-width"
EXPORT_HEIGHT = f"{PREFIX}-export-height"
EXPORT_SCALE = f"{PREFIX}-export-scale"
EXPORT_OPTIONS = f"{PREFIX}-export-options"
EXPORT_SUBTITLE = f"{PREFIX}-export-subtitle"
EXPORT_LINK = f"{PREFIX}-export-link"
EXPORT_ERROR = f"{PREFIX}-export-error"
