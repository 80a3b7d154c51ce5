// Every edge of one type with its record, unordered: what the compact index is built from.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// returns: source, target, since ('' when open), until (null when open), props (JSON text)
MATCH (s:{source})-[r:{type}]->(d:{target})
RETURN s.id, d.id, r.since, r.until, r.props
