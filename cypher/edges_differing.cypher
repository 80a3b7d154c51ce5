// Of a batch of edges of one type about to be loaded, those that differ from what is stored: new ones, and
// those whose until or properties are not the same (edges stored alike are left out).
// {type}, {source}, {target}: the edge type and its endpoint kinds (from orggraph's allow-list only)
// $rows: [{source, target, since, until, props}] as load_edges.cypher takes them
// returns: source, target, since, until, whether it is new, the stored until, whether the properties are the same
UNWIND $rows AS row
OPTIONAL MATCH (s:{source} {id: row.source})-[r:{type}]->(t:{target} {id: row.target})
WHERE r.since = row.since
WITH row, r
WHERE r IS NULL OR r.props <> row.props OR coalesce(r.until, '') <> coalesce(row.until, '')
RETURN row.source, row.target, row.since, row.until, r IS NULL, r.until, r.props = row.props
