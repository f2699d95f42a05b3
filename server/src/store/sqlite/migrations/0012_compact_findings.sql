-- A checklist's findings on its current row, kept as one object from question id to a code
-- (0 answered without the concern, 1 the concern seen, 2 a critical concern seen) instead of
-- an array of {"question", "concern", "critical"} objects: the same facts in about a third
-- of the space, on the row every new checklist writes (see store/sqlite/findings.rs).
UPDATE submissions SET findings = (
    SELECT json_group_object(
               json_extract(f.value, '$.question'),
               CASE
                   WHEN json_extract(f.value, '$.critical') THEN 2
                   WHEN json_extract(f.value, '$.concern') THEN 1
                   ELSE 0
               END)
    FROM json_each(submissions.findings) f
);
