// The nodes of one kind that take part on the day: those with an edge (of any type, either way) valid on
// it, or with no edge at all. Unordered (the caller sorts).
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $day: ISO date
// returns: id
MATCH (n:{label})
OPTIONAL MATCH (n)-[r]-()
WITH n, count(r) AS edges, sum(CASE WHEN r IS NOT NULL AND {valid:r} THEN 1 ELSE 0 END) AS valid
WHERE edges = 0 OR valid > 0
RETURN n.id
