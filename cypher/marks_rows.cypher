// An incident's marks after a number, in order.
// $id, $after
MATCH (k:OrgGraphMark {incident: $id})
WHERE k.seq > $after
RETURN k.seq, k.data
ORDER BY k.seq
