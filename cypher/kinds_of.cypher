// The kind of each of some ids that names a node: one branch a node kind, each through its id index.
// The branches are the node kinds of orggraph.model.NODE_KINDS (a test holds them in step).
// $ids: [id]
// returns: id, kind
MATCH (n:Area) WHERE n.id IN $ids RETURN n.id AS id, 'Area' AS kind
UNION ALL
MATCH (n:Org) WHERE n.id IN $ids RETURN n.id AS id, 'Org' AS kind
UNION ALL
MATCH (n:Unit) WHERE n.id IN $ids RETURN n.id AS id, 'Unit' AS kind
UNION ALL
MATCH (n:Member) WHERE n.id IN $ids RETURN n.id AS id, 'Member' AS kind
UNION ALL
MATCH (n:Household) WHERE n.id IN $ids RETURN n.id AS id, 'Household' AS kind
