// The records of some ids that name a node, whatever their kind: one branch a node kind, each through its
// id index. The branches are the node kinds of orggraph.model.NODE_KINDS (a test holds them in step).
// $ids: [id]
// returns: id, kind, props (the record as JSON text)
MATCH (n:Area) WHERE n.id IN $ids RETURN n.id AS id, 'Area' AS kind, n.props AS props
UNION ALL
MATCH (n:Org) WHERE n.id IN $ids RETURN n.id AS id, 'Org' AS kind, n.props AS props
UNION ALL
MATCH (n:Unit) WHERE n.id IN $ids RETURN n.id AS id, 'Unit' AS kind, n.props AS props
UNION ALL
MATCH (n:Member) WHERE n.id IN $ids RETURN n.id AS id, 'Member' AS kind, n.props AS props
UNION ALL
MATCH (n:Household) WHERE n.id IN $ids RETURN n.id AS id, 'Household' AS kind, n.props AS props
