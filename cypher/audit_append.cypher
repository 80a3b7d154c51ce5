// Append one row to the audit log: the sequence number is taken from the meta node in the same
// statement, so two writers never share one. The log is only ever added to.
// $at, $token, $route, $records (JSON text)
MATCH (m:OrgGraphMeta {id: 'meta'})
SET m.audit = coalesce(m.audit, 0) + 1
WITH m.audit AS seq
CREATE (:OrgGraphAudit {seq: seq, at: $at, token: $token, route: $route, records: $records})
