// The schema on Neo4j 5: one uniqueness constraint (and so an index) on id for every node kind, and an
// index on fold (set only where an id is spelled otherwise than its fold: folds_of.cypher).
// One statement a line; run once when a store first connects (IF NOT EXISTS makes it idempotent).
CREATE CONSTRAINT area_id IF NOT EXISTS FOR (n:Area) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT org_id IF NOT EXISTS FOR (n:Org) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT unit_id IF NOT EXISTS FOR (n:Unit) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT member_id IF NOT EXISTS FOR (n:Member) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT household_id IF NOT EXISTS FOR (n:Household) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT orggraphmeta_id IF NOT EXISTS FOR (n:OrgGraphMeta) REQUIRE n.id IS UNIQUE
CREATE CONSTRAINT orggraphtoken_id IF NOT EXISTS FOR (n:OrgGraphToken) REQUIRE n.id IS UNIQUE
CREATE INDEX orggraphtoken_hash IF NOT EXISTS FOR (n:OrgGraphToken) ON (n.hash)
CREATE INDEX area_fold IF NOT EXISTS FOR (n:Area) ON (n.fold)
CREATE INDEX org_fold IF NOT EXISTS FOR (n:Org) ON (n.fold)
CREATE INDEX unit_fold IF NOT EXISTS FOR (n:Unit) ON (n.fold)
CREATE INDEX member_fold IF NOT EXISTS FOR (n:Member) ON (n.fold)
CREATE INDEX household_fold IF NOT EXISTS FOR (n:Household) ON (n.fold)
CREATE CONSTRAINT orggraphincident_id IF NOT EXISTS FOR (n:OrgGraphIncident) REQUIRE n.id IS UNIQUE
CREATE INDEX orggraphmark_incident IF NOT EXISTS FOR (n:OrgGraphMark) ON (n.incident)
CREATE INDEX orggraphaudit_seq IF NOT EXISTS FOR (n:OrgGraphAudit) ON (n.seq)
CREATE INDEX orggraphhistory_seq IF NOT EXISTS FOR (n:OrgGraphHistory) ON (n.seq)
