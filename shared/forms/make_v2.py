"""Writes shared/forms/v2/*.json, version 2 of the default forms, from version 1 (which is
released and never changes): the items observers of the region report missing, "not
observed" where an observer may not see, the protocol checks that were missing, and the
incident report's source question reworded so that observers do not write down names.

Run from shared/forms: python3 make_v2.py. The JSON files are committed; builds do not run it.
"""
import copy
import json


def yes_no(id, en, ru, kk, concern=None, critical=False, not_observed=True, required=False, relevant=None):
    q = {"id": id, "type": "yes_no", "label": {"en": en, "ru": ru, "kk": kk}}
    if required:
        q["required"] = True
    if relevant:
        q["relevant"] = relevant
    if concern is not None:
        q["concern"] = {"answers": [concern]}
        if critical:
            q["concern"]["critical"] = True
    if not_observed:
        q["not_observed"] = True
    return q


def insert_before_overall(form, questions):
    """Before the assessment that ends a checklist, so the questions observers already know
    keep their order on the laptop."""
    ids = [q["id"] for q in form["questions"]]
    i = ids.index("overall")
    form["questions"][i:i] = questions


def insert_after(form, anchor, questions):
    ids = [q["id"] for q in form["questions"]]
    i = ids.index(anchor) + 1
    form["questions"][i:i] = questions


def mark_not_observed(form, ids):
    for q in form["questions"]:
        if q["id"] in ids:
            q["not_observed"] = True


def chair_gender():
    return {
        "id": "chair_gender",
        "type": "single_choice",
        "label": {"en": "The commission chair is", "ru": "Председатель комиссии —", "kk": "Комиссия төрағасы —"},
        "choices": [
            {"id": "woman", "label": {"en": "A woman", "ru": "Женщина", "kk": "Әйел"}},
            {"id": "man", "label": {"en": "A man", "ru": "Мужчина", "kk": "Ер адам"}},
        ],
        "not_observed": True,
    }


def load(name):
    with open(f"{name}.json", encoding="utf-8") as f:
        form = json.load(f)
    form = copy.deepcopy(form)
    form["version"] = 2
    return form


def save(form):
    with open(f"v2/{form['id']}.json", "w", encoding="utf-8") as f:
        json.dump(form, f, ensure_ascii=False, indent=2)
        f.write("\n")


# Opening.
opening = load("opening")
insert_after(opening, "commission_members_present", [chair_gender()])
mark_not_observed(opening, {"boxes_shown_empty", "boxes_sealed", "ballots_counted", "ballots_recorded", "unauthorized_directing"})
save(opening)

# Voting.
voting = load("voting")
insert_after(voting, "unauthorized_directing", [
    yes_no("members_directing_voters", "Did commission members direct voters how to vote?",
           "Указывали ли члены комиссии избирателям, как голосовать?",
           "Комиссия мүшелері сайлаушыларға қалай дауыс беру керектігін көрсетті ме?", concern=True),
    yes_no("voters_recorded", "Was anyone recording who came to vote?",
           "Вёл ли кто-либо учёт пришедших голосовать?",
           "Дауыс беруге келгендерді біреу тіркеп отырды ма?", concern=True),
    yes_no("organised_transport", "Did you see voters brought in organised transport?",
           "Видели ли вы организованный подвоз избирателей?",
           "Сайлаушыларды ұйымдасқан түрде тасымалдауды көрдіңіз бе?", concern=True),
])
insert_after(voting, "multiple_voting", [
    yes_no("carousel_voting", "Did you see carousel voting (pre-filled ballots passed on)?",
           "Видели ли вы «карусель» (передачу заполненных бюллетеней)?",
           "«Карусельді» (толтырылған бюллетеньдерді беруді) көрдіңіз бе?", concern=True, critical=True),
    yes_no("proxy_voting", "Did anyone vote on behalf of someone else?",
           "Голосовал ли кто-либо за другого человека?",
           "Біреу басқа адамның атынан дауыс берді ме?", concern=True),
    yes_no("supplementary_list_misuse", "Were voters added to the supplementary list without proper grounds?",
           "Включали ли избирателей в дополнительный список без должных оснований?",
           "Сайлаушылар қосымша тізімге тиісті негізсіз енгізілді ме?", concern=True),
])
insert_after(voting, "mobile_box_procedure", [
    yes_no("observers_followed_mobile", "Were observers allowed to follow the mobile box?",
           "Разрешили ли наблюдателям сопровождать переносной ящик?",
           "Байқаушыларға көшпелі жәшікпен бірге жүруге рұқсат етілді ме?", concern=False),
])
insert_before_overall(voting, [chair_gender()])
mark_not_observed(voting, {"group_voting", "ballots_photographed", "box_stuffing", "multiple_voting",
                           "identical_signatures", "pressure_on_voters", "vote_buying", "unauthorized_directing"})
voting["checks"] = voting.get("checks", []) + [{
    "id": "voted_within_list",
    "left": ["voted_so_far"], "op": "<=", "right": ["voters_on_list"],
    "severity": "warning",
    "message": {"en": "More voters had voted than there are voters on the list",
                "ru": "Проголосовавших больше, чем избирателей в списке",
                "kk": "Дауыс бергендер тізімдегі сайлаушылардан көп"},
}]
save(voting)

# Counting.
counting = load("counting")
insert_after(counting, "arrival_time", [
    yes_no("closed_on_time", "Did the polling station close on time?",
           "Закрылся ли участок вовремя?", "Учаске уақытында жабылды ма?", concern=False),
    yes_no("queue_allowed_to_vote", "Were voters in the queue at closing time allowed to vote?",
           "Дали ли проголосовать избирателям, стоявшим в очереди в момент закрытия?",
           "Жабылу сәтінде кезекте тұрған сайлаушыларға дауыс беруге рұқсат етілді ме?", concern=False),
    yes_no("whole_count_observed", "Did you observe the whole count, from closing to the protocol?",
           "Наблюдали ли вы весь подсчёт, от закрытия до протокола?",
           "Жабылудан хаттамаға дейін бүкіл санауды бақыладыңыз ба?", concern=False, not_observed=False),
])
insert_after(counting, "seals_intact", [
    yes_no("mobile_counted_separately", "Were the mobile boxes counted separately first?",
           "Подсчитывались ли сначала отдельно бюллетени из переносных ящиков?",
           "Алдымен көшпелі жәшіктердегі бюллетеньдер бөлек саналды ма?", concern=False),
])
insert_after(counting, "each_ballot_shown", [
    yes_no("votes_announced", "Was each vote announced aloud?",
           "Оглашался ли вслух каждый голос?", "Әр дауыс дауыстап жарияланды ма?", concern=False),
])
insert_after(counting, "figures_in_ink", [chair_gender()])
mark_not_observed(counting, {"unused_cancelled_first", "signatures_counted", "seals_intact", "validity_consistent",
                             "ballots_misattributed", "figures_in_ink", "protocol_presigned"})
counting["checks"] = counting["checks"] + [{
    "id": "mobile_within_issued_mobile",
    "left": ["ballots_in_mobile_boxes"], "op": "<=", "right": ["ballots_issued_mobile"],
    "severity": "warning",
    "message": {"en": "More ballots were found in the mobile boxes than were issued for mobile voting",
                "ru": "В переносных ящиках обнаружено больше бюллетеней, чем выдано для голосования вне помещения",
                "kk": "Көшпелі жәшіктерде үй-жайдан тыс дауыс беруге берілгеннен көп бюллетень табылды"},
}, {
    # Against the station list: checked on the server, where the station is known.
    "id": "main_list_within_register",
    "left": ["voters_main_list"], "op": "<=", "right": ["station.registered_voters"],
    "severity": "warning",
    "message": {"en": "More voters on the protocol's main list than the station list registers",
                "ru": "В основном списке по протоколу больше избирателей, чем зарегистрировано на участке по списку участков",
                "kk": "Хаттаманың негізгі тізімінде учаскелер тізімінде тіркелгеннен көп сайлаушы бар"},
}]
save(counting)

# Tabulation.
tabulation = load("tabulation")
insert_after(tabulation, "protocols_changed", [
    yes_no("corrected_without_recount", "Were protocols corrected without a recount?",
           "Исправлялись ли протоколы без пересчёта?",
           "Хаттамалар қайта санаусыз түзетілді ме?", concern=True),
    yes_no("inconsistent_accepted", "Were protocols that do not add up accepted anyway?",
           "Принимались ли протоколы, цифры которых не сходятся?",
           "Сандары сәйкес келмейтін хаттамалар қабылданды ма?", concern=True),
])
insert_before_overall(tabulation, [chair_gender()])
mark_not_observed(tabulation, {"protocols_changed", "protocols_not_signed"})
save(tabulation)

# Incident: the source, without names.
incident = load("incident")
for q in incident["questions"]:
    if q["id"] == "source":
        q["label"] = {
            "en": "If not, how did you learn of it? Describe the source (a voter, a party agent, a journalist...) without names",
            "ru": "Если нет, как вы об этом узнали? Опишите источник (избиратель, доверенное лицо, журналист...) без имён",
            "kk": "Егер жоқ болса, бұл туралы қалай білдіңіз? Дереккөзді (сайлаушы, сенім білдірілген адам, журналист...) есімсіз сипаттаңыз",
        }
save(incident)
