// Every edge of one type with its dates, whatever they are: the caller keeps them a revision (for the types
// whose edges are few beside the households') and answers from them what is asked of the type on any day.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// returns: source, target, key (the post of HOLDS_POST, the role of ASSIGNED_TO, else null), since ('' when
// open), until (null when open); one row an edge, in no order
MATCH (s:{source})-[r:{type}]->(t:{target})
RETURN s.id AS source, t.id AS target, coalesce(r.post, r.role) AS key, r.since AS since, r.until AS until
