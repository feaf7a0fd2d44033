// GraphQL documents of the explorer. `asOf` is sent only when set, so a server
// without the lineage questions (docs/reference/questions.md) still answers the plain view.

const RUN_SUMMARY = 'id name status startedAt transform { name version }';
const DOBJECT_SUMMARY = 'id name suffix createdAt';

export interface LineageOptions {
  asOf: boolean; // send asOf (docs/reference/questions.md)
  versions: boolean; // ask for versions (docs/reference/versions.md): counts, stale, version nodes
  byVersion?: boolean; // root the walk at a version (lineage(versionId:))
}

// what a node of the graph needs about versions: a dobject's count and staleness, a
// version node's number and staleness
const NODE_VERSIONS = 'version { id number createdAt stale }';
const DOBJECT_VERSIONS = 'stale versions(first: 1) { totalCount }';

export function lineageQuery(o: LineageOptions): string {
  const asOfVar = o.asOf ? ', $asOf: DateTime' : '';
  const asOfArg = o.asOf ? ', asOf: $asOf' : '';
  const versionVar = o.byVersion ? ', $versionId: ID' : '';
  const versionArg = o.byVersion ? ', versionId: $versionId' : '';
  const dobject = o.versions ? `${DOBJECT_SUMMARY} ${DOBJECT_VERSIONS}` : DOBJECT_SUMMARY;
  const version = o.versions ? ` ${NODE_VERSIONS}` : '';
  return `query ExplorerLineage($dobjectId: ID, $runId: ID${versionVar}, $direction: LineageDirection, $depth: Int${asOfVar}) {
  lineage(dobjectId: $dobjectId, runId: $runId${versionArg}, direction: $direction, depth: $depth${asOfArg}) {
    root truncated
    nodes { id kind depth run { ${RUN_SUMMARY} } dobject { ${dobject} }${version} }
    edges { source target }
  }
}`;
}

// The versions of a dobject for the details panel: newest first, one more than shown so
// the oldest shown can be compared with the one before it.
export const VERSIONS_SHOWN = 100;
const VERSION_ROW = `id number createdAt hash size label stale fields { name type } run { ${RUN_SUMMARY} }`;
const STALE_INPUTS = `staleInputs { dobject { ${DOBJECT_SUMMARY} } version { id number } loadedAt }`;

export function dobjectVersionsQuery(withAsOf: boolean): string {
  const [v, a] = asOfParts(withAsOf);
  return `query ExplorerDObjectVersions($id: ID!${v}) {
  dobject(id: $id${a}) {
    id stale
    currentVersion { id number ${STALE_INPUTS} }
    versions(first: ${VERSIONS_SHOWN + 1}) { totalCount nodes { ${VERSION_ROW} } }
  }
}`;
}

export const VERSION_DETAILS = `query ExplorerVersion($id: ID!) {
  dobjectVersion(id: $id) {
    ${VERSION_ROW} fields { name type description } ${STALE_INPUTS}
    dobject { ${DOBJECT_SUMMARY} currentVersion { id number } }
  }
}`;

export function runVersionsQuery(withAsOf: boolean): string {
  const [v, a] = asOfParts(withAsOf);
  return `query ExplorerRunVersions($id: ID!${v}) {
  run(id: $id${a}) {
    id
    inputVersions { dobject { ${DOBJECT_SUMMARY} } version { id number stale } loadedAt }
    outputVersions { id number stale dobject { ${DOBJECT_SUMMARY} } }
  }
}`;
}

function asOfParts(withAsOf: boolean): [string, string] {
  return withAsOf ? [', $asOf: DateTime', ', asOf: $asOf'] : ['', ''];
}

export function runDetailsQuery(full: boolean, withAsOf: boolean): string {
  const [v, a] = asOfParts(withAsOf);
  const family = full ? `parent { ${RUN_SUMMARY} } children { ${RUN_SUMMARY} }` : '';
  return `query ExplorerRun($id: ID!${v}) {
  run(id: $id${a}) {
    id name status startedAt finishedAt
    transform { __typename id type name version ... on Notebook { title } ... on Pipeline { reference } }
    inputs { ${DOBJECT_SUMMARY} } outputs { ${DOBJECT_SUMMARY} }
    ${family}
  }
}`;
}

export function dobjectDetailsQuery(full: boolean, withAsOf: boolean): string {
  const [v, a] = asOfParts(withAsOf);
  const fields = full ? 'fields { name type description }' : '';
  return `query ExplorerDObject($id: ID!${v}) {
  dobject(id: $id${a}) {
    id name suffix size hash uri createdAt ${fields}
    source { ${RUN_SUMMARY} } targets { ${RUN_SUMMARY} }
  }
}`;
}

export function impactQuery(withAsOf: boolean): string {
  const [v, a] = asOfParts(withAsOf);
  return `query ExplorerImpact($dobjectId: ID, $runId: ID${v}) {
  impact(dobjectId: $dobjectId, runId: $runId${a}) {
    totalRuns totalDObjects truncated
    runs { distance run { ${RUN_SUMMARY} } }
    dobjects { distance dobject { ${DOBJECT_SUMMARY} } }
    rerunOrder { ${RUN_SUMMARY} }
  }
}`;
}

export const RUN_CANDIDATES = `query ExplorerRunCandidates($id: ID!) {
  run(id: $id) { id transform { runs { ${RUN_SUMMARY} } } }
}`;

const SET_DIFF = `added { ${DOBJECT_SUMMARY} } removed { ${DOBJECT_SUMMARY} }
  changed { name suffix before { id hash } after { id hash } } unchanged { ${DOBJECT_SUMMARY} }`;
export const RUN_DIFF = `query ExplorerRunDiff($before: ID!, $after: ID!) {
  runDiff(before: $before, after: $after) {
    transformChanged
    before { ${RUN_SUMMARY} } after { ${RUN_SUMMARY} }
    inputs { ${SET_DIFF} } outputs { ${SET_DIFF} }
  }
}`;

// Exact matches through the API's filters (which match exactly), plus one page of
// each kind for matching parts of names in the page.
export function searchQuery(byId: boolean): string {
  const ids = byId
    ? `runById: runs(filter: { id: $id }, first: 1) { nodes { ${RUN_SUMMARY} } }
  dobjectById: dobjects(filter: { id: $id }, first: 1) { nodes { ${DOBJECT_SUMMARY} } }`
    : '';
  const idVar = byId ? ', $id: ID!' : '';
  return `query ExplorerSearch($q: String!, $stem: String!, $suffix: String!${idVar}) {
  byName: dobjects(filter: { name: $q }, first: 20) { nodes { ${DOBJECT_SUMMARY} } }
  byFile: dobjects(filter: { name: $stem, suffix: $suffix }, first: 20) { nodes { ${DOBJECT_SUMMARY} } }
  runsByName: runs(filter: { name: $q }, first: 20) { nodes { ${RUN_SUMMARY} } }
  runsByTransform: runs(filter: { transformName: $q }, first: 20) { nodes { ${RUN_SUMMARY} } }
  ${ids}
}`;
}

export const SEARCH_INDEX = `query ExplorerSearchIndex {
  dobjects(first: 1000) { nodes { ${DOBJECT_SUMMARY} } }
  runs(first: 1000) { nodes { ${RUN_SUMMARY} } }
  notebooks(first: 1000) { nodes { id name version runs { id } } }
  pipelines(first: 1000) { nodes { id name version runs { id } } }
}`;

export const EVENTS = `subscription ExplorerEvents {
  lineageEvents { eventId eventType runId occurredAt sequence payload }
}`;

// A live panel of one node's changes (docs/reference/watches.md); `version` only from a
// server with dataset versions.
export function watchQuery(withVersion: boolean): string {
  const version = withVersion ? ' version { id number }' : '';
  return `subscription ExplorerWatch($dobjectId: ID, $runId: ID, $direction: LineageDirection, $depth: Int) {
  lineageChanges(dobjectId: $dobjectId, runId: $runId, direction: $direction, depth: $depth) {
    kind sequence occurredAt distance
    dobject { ${DOBJECT_SUMMARY} } run { ${RUN_SUMMARY} }${version}
  }
}`;
}

// The durable watches page (docs/reference/watches.md): `admin` tokens only.
export const WATCHES = `query ExplorerWatches {
  watches {
    id name rootKind rootId direction depth kinds url createdAt delivered pending failed
    lastFailure { at error httpStatus deliveryId givenUp }
    dobject { ${DOBJECT_SUMMARY} } run { ${RUN_SUMMARY} }
  }
}`;

export const WATCH_DELIVERIES = `query ExplorerWatchDeliveries($watchId: ID!, $last: Int!) {
  watchDeliveries(watchId: $watchId, last: $last) {
    id state attempts lastError httpStatus finishedAt
    change { kind sequence occurredAt distance dobject { ${DOBJECT_SUMMARY} } run { ${RUN_SUMMARY} } }
  }
}`;
