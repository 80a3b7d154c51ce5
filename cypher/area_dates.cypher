// The dates of the other relations of some areas (those the caller could not find taking part on every
// day from their WITHIN edges): for each area with GOVERNS, ASSIGNED_TO or LOCATED_IN edges to it, the
// distinct (since, until) of those edges. An area takes part on a day when one of its relations is valid
// on it, or when it has none at all; an area with no row here has none of these three.
// $areas: [area id]
// returns: area, dates [[since ('' when open), until (null when open)]]
UNWIND $areas AS area_id
MATCH (a:Area {id: area_id})
WITH a  // start from the indexed area
MATCH (a)<-[r:GOVERNS|ASSIGNED_TO|LOCATED_IN]-()
RETURN a.id AS area, collect(DISTINCT [r.since, r.until]) AS dates
