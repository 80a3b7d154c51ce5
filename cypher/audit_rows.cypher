// Audit rows after a sequence number, in order.
// $after, $limit
MATCH (a:OrgGraphAudit)
WHERE a.seq > $after
RETURN a.seq, a.at, a.token, a.route, a.records
ORDER BY a.seq
LIMIT $limit
