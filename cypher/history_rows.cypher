// Entries of the history after a number, oldest first; only those naming a node when $node is not null.
// $after, $limit, $node
MATCH (h:OrgGraphHistory)
WHERE h.seq > $after AND ($node IS NULL OR $node IN h.nodes)
RETURN h.seq, h.at, h.kind, h.by, h.data
ORDER BY h.seq
LIMIT $limit
