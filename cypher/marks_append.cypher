// Add marks to an open incident, numbered from the meta node in the same statement (the counter is raised
// under the node's write lock, so two writers never share a number); nothing when the incident is closed
// or does not exist. Marks are only ever added to.
// $id, $rows (JSON text each: household, status, by, note, at, recorded_by)
MATCH (i:OrgGraphIncident {id: $id})
WHERE i.closed IS NULL
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.marks = coalesce(m.marks, 0) + size($rows)
WITH i, m.marks - size($rows) AS base
UNWIND range(0, size($rows) - 1) AS k
CREATE (:OrgGraphMark {incident: i.id, seq: base + k + 1, data: $rows[k]})
RETURN base + k + 1
