// One node's record, whatever its kind: one branch a node kind, each through its id index.
// The branches are the node kinds of orggraph.model.NODE_KINDS (a test holds them in step).
// $id: node id
// returns: kind, props (the record as JSON text)
MATCH (n:Area {id: $id}) RETURN 'Area' AS kind, n.props AS props
UNION ALL
MATCH (n:Org {id: $id}) RETURN 'Org' AS kind, n.props AS props
UNION ALL
MATCH (n:Unit {id: $id}) RETURN 'Unit' AS kind, n.props AS props
UNION ALL
MATCH (n:Member {id: $id}) RETURN 'Member' AS kind, n.props AS props
UNION ALL
MATCH (n:Household {id: $id}) RETURN 'Household' AS kind, n.props AS props
