// Every edge of one type, as (source, target): what a load checks a hierarchy (WITHIN, SUBORDINATE_TO) against.
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// returns: source, target
MATCH (s:{source})-[:{type}]->(t:{target})
RETURN s.id AS source, t.id AS target
