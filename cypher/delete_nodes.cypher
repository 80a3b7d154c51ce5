// Remove nodes of one label, with every relationship from or to them.
// {label}: one of the node kinds (filled in from orggraph's allow-list, never from input)
// $ids: the node ids (each one checked to exist first)
// returns: how many relationships went with them
UNWIND $ids AS id
MATCH (n:{label} {id: id})
OPTIONAL MATCH (n)-[r]-()
WITH n, count(r) AS edges
DETACH DELETE n
RETURN sum(edges) AS edges
