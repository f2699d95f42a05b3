"""Writes observation_checklist.xlsx, the XLSForm fixture of server/tests/xlsform.rs: a
voting-day checklist shaped as ODK and Kobo missions write them (groups, skip logic,
constraints, English and Russian labels, a note, device metadata) plus one row of each kind
eom does not import, on a second sheet set (unsupported.xlsx).

Run with openpyxl: python3 -m venv v && v/bin/pip install openpyxl && v/bin/python make_xlsform.py
The .xlsx files are committed; the tests do not run this script.
"""
from openpyxl import Workbook
from openpyxl.styles import Font

SURVEY = [
    ["type", "name", "label::English (en)", "label::Russian (ru)", "required", "relevant", "constraint", "concern", "critical", "hint"],
    ["start", "start", "", "", "", "", "", "", "", ""],
    ["deviceid", "deviceid", "", "", "", "", "", "", "", ""],
    ["note", "intro", "Fill in at the polling station", "Заполните на участке", "", "", "", "", "", ""],
    ["time", "arrival_time", "Time of arrival", "Время прибытия", "yes", "", "", "", "", ""],
    ["select_one yes_no", "observers_unrestricted", "Could you observe without restriction?", "Могли ли вы наблюдать без ограничений?", "yes", "", "", "no", "", ""],
    ["select_multiple restriction", "access_restriction", "How were you restricted?", "Как вас ограничивали?", "yes", "${observers_unrestricted} = 'no'", "", "", "", ""],
    ["begin_group", "procedures", "Procedures", "Процедуры", "", "", "", "", "", ""],
    ["select_one yes_no", "ink_checked", "Were voters' fingers checked for ink?", "Проверяли ли пальцы избирателей на наличие чернил?", "yes", "", "", "no", "", ""],
    ["select_one yes_no", "carousel_voting", "Did you see carousel voting?", "Видели ли вы «карусель»?", "yes", "", "", "yes", "yes", ""],
    ["end_group", "", "", "", "", "", "", "", "", ""],
    ["select_one yes_no", "mobile_box_used", "Was the mobile box taken out?", "Выносили ли переносной ящик?", "yes", "", "", "", "", ""],
    ["begin_group", "mobile", "Mobile box", "Переносной ящик", "", "${mobile_box_used} = 'yes'", "", "", "", ""],
    ["integer", "mobile_requests", "Requests for mobile voting", "Заявлений на голосование вне помещения", "yes", "", ". >= 0 and . <= 500", "", "", ""],
    ["select_one follow", "observers_followed", "Could observers follow the mobile box?", "Могли ли наблюдатели сопровождать ящик?", "", "", "", "not_allowed", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", ""],
    ["integer", "voters_in_queue", "Voters in the queue at closing", "Избирателей в очереди при закрытии", "", "", ". >= 0", "", "", ""],
    ["text", "remarks", "Remarks", "Замечания", "", "", "", "", "", ""],
    ["select_one assessment", "overall", "Overall assessment", "Общая оценка", "yes", "", "", "bad, very_bad", "", ""],
]

CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Russian (ru)"],
    ["yes_no", "yes", "Yes", "Да"],
    ["yes_no", "no", "No", "Нет"],
    ["restriction", "kept_far", "Kept too far away to see", "Держали слишком далеко"],
    ["restriction", "asked_to_leave", "Asked to leave", "Попросили уйти"],
    ["restriction", "denied_entry", "Denied entry", "Не пустили"],
    ["follow", "allowed", "Allowed", "Разрешили"],
    ["follow", "not_allowed", "Not allowed", "Не разрешили"],
    ["follow", "not_asked", "Did not ask", "Не просили"],
    ["assessment", "very_good", "Very good", "Очень хорошо"],
    ["assessment", "good", "Good", "Хорошо"],
    ["assessment", "bad", "Bad", "Плохо"],
    ["assessment", "very_bad", "Very bad", "Очень плохо"],
]

SETTINGS = [
    ["form_id", "version", "form_title::English (en)", "form_title::Russian (ru)", "default_language", "stage"],
    ["voting_kz", "2026031901", "Voting (Kazakhstan)", "Голосование (Казахстан)", "English (en)", "voting"],
]

UNSUPPORTED = [
    ["type", "name", "label"],
    ["geopoint", "location", "Where are you?"],
    ["integer", "voters", "Voters"],
    ["calculate", "total", ""],
    ["select_one yes_no", "late", "Opened late?"],
    ["integer", "minutes_late", "Minutes late"],
]


def book(survey, choices, settings, path):
    wb = Workbook()
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
    del wb["Sheet"]
    wb.save(path)


book(SURVEY, CHOICES, SETTINGS, "observation_checklist.xlsx")
unsupported = [list(r) for r in UNSUPPORTED]
unsupported[5] = unsupported[5] + [""] * 0
book(
    [UNSUPPORTED[0] + ["relevant", "constraint"]]
    + [r + ["", ""] for r in UNSUPPORTED[1:5]]
    + [UNSUPPORTED[5] + ["${late} != 'no'", "regex(., '^[0-9]+$')"]],
    CHOICES,
    [["form_id", "stage"], ["broken", "opening"]],
    "unsupported.xlsx",
)
