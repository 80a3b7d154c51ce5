// The edges from or to one node, of every type.
// {label}: the node's kind (filled in from orggraph's allow-list, never from input)
// $id: the node's id
// returns: type, source, target, since ('' when open), until (null when open), props (JSON text)
MATCH (s:{label} {id: $id})-[r]->(d)
RETURN type(r) AS type, s.id AS source, d.id AS target, r.since AS since, r.until AS until, r.props AS props
UNION ALL
MATCH (s)-[r]->(d:{label} {id: $id})
RETURN type(r) AS type, s.id AS source, d.id AS target, r.since AS since, r.until AS until, r.props AS props
