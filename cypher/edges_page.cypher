// The edges of one type from a page of source nodes, in key order (source, target, since).
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $ids: [source id] of the page
// returns: source, target, since ('' when open), until (null when open), props (JSON text)
MATCH (s:{source})-[r:{type}]->(d:{target})
WHERE s.id IN $ids
RETURN s.id, d.id, r.since, r.until, r.props
ORDER BY s.id, d.id, r.since
