"""The GraphQL schema of CONTRACT.md section 2 with section 5's additions, as written
there: what the API must serve (it may add to it, never break it) and what the SDK's
documents are checked against."""

CONTRACT_SDL = """
scalar DateTime
scalar JSON
scalar BigInt      # a 64-bit integer, serialized as a JSON number
enum TransformType { NOTEBOOK PIPELINE }
enum RunStatus { STARTED COMPLETED FAILED }
enum LineageDirection { UPSTREAM DOWNSTREAM BOTH }

interface Transform { id: ID!  type: TransformType!  name: String!  version: String!  runs: [Run!]! }
type Notebook implements Transform { id: ID! type: TransformType! name: String! version: String! title: String runs: [Run!]! }
type Pipeline implements Transform { id: ID! type: TransformType! name: String! version: String! reference: String runs: [Run!]! }

type Run {
  id: ID!  name: String  status: RunStatus!  startedAt: DateTime  finishedAt: DateTime
  transform: Transform        # null only while RunStarted has not arrived
  notebook: Notebook  pipeline: Pipeline
  inputs: [DObject!]!  outputs: [DObject!]!
  parent: Run  children: [Run!]!
}
type DObject {
  id: ID!  name: String!  suffix: String!  size: BigInt  hash: String  uri: String  createdAt: DateTime!
  source: Run                 # the run that produced it
  targets: [Run!]!            # the runs that loaded it as an input
  fields: [Field!]!
}

input DObjectFilter { id: ID  name: String  suffix: String  hash: String  source: RunFilter  target: RunFilter }
input RunFilter {
  id: ID  name: String  status: RunStatus  transformType: TransformType
  transformName: String  transformVersion: String
  output: DObjectFilter  input: DObjectFilter
  parent: RunFilter
}
input TransformFilter { id: ID  name: String  version: String  run: RunFilter }

type PageInfo { hasNextPage: Boolean!  endCursor: String }
type RunConnection      { nodes: [Run!]!      pageInfo: PageInfo!  totalCount: Int! }
type DObjectConnection  { nodes: [DObject!]!  pageInfo: PageInfo!  totalCount: Int! }
type NotebookConnection { nodes: [Notebook!]! pageInfo: PageInfo!  totalCount: Int! }
type PipelineConnection { nodes: [Pipeline!]! pageInfo: PageInfo!  totalCount: Int! }

enum LineageNodeKind { RUN DOBJECT }
type LineageNode { id: ID!  kind: LineageNodeKind!  depth: Int!  run: Run  dobject: DObject }
type LineageEdge { source: ID!  target: ID! }   # data flow: dobject -> run (input), run -> dobject (output)
type LineageGraph { root: ID!  nodes: [LineageNode!]!  edges: [LineageEdge!]!  truncated: Boolean! }

type ProjectionStatus { appliedSequence: BigInt!  streamSequence: BigInt!  lag: BigInt!  lastEventAt: DateTime }

type ImpactedRun { run: Run!  distance: Int! }
type ImpactedDObject { dobject: DObject!  distance: Int! }
type Impact {
  root: ID!
  runs: [ImpactedRun!]!
  dobjects: [ImpactedDObject!]!
  rerunOrder: [Run!]!
  transforms: [Transform!]!
  totalRuns: Int!  totalDObjects: Int!
  truncated: Boolean!
}

type DObjectChange { name: String!  suffix: String!  before: DObject!  after: DObject! }
type DObjectSetDiff { added: [DObject!]!  removed: [DObject!]!  changed: [DObjectChange!]!  unchanged: [DObject!]! }
type RunDiff { before: Run!  after: Run!  transformChanged: Boolean!  inputs: DObjectSetDiff!  outputs: DObjectSetDiff! }

type Field { name: String!  type: String  description: String }
type ColumnRef { dobject: DObject!  field: String! }
type ColumnEdge { source: ColumnRef!  target: ColumnRef!  transformation: String }
type ColumnLineage { edges: [ColumnEdge!]!  truncated: Boolean! }

type Query {
  run(id: ID!, asOf: DateTime): Run
  runs(filter: RunFilter, first: Int = 100, after: String, asOf: DateTime): RunConnection!
  dobject(id: ID!, asOf: DateTime): DObject
  dobjects(filter: DObjectFilter, first: Int = 100, after: String, asOf: DateTime): DObjectConnection!
  notebooks(filter: TransformFilter, first: Int = 100, after: String): NotebookConnection!
  pipelines(filter: TransformFilter, first: Int = 100, after: String): PipelineConnection!
  lineage(dobjectId: ID, runId: ID, direction: LineageDirection = UPSTREAM, depth: Int = 10, asOf: DateTime): LineageGraph!
  impact(dobjectId: ID, runId: ID, asOf: DateTime): Impact!
  runDiff(before: ID!, after: ID!): RunDiff!
  columnLineage(dobjectId: ID!, field: String, direction: LineageDirection = UPSTREAM, depth: Int = 10): ColumnLineage!
  projectionStatus: ProjectionStatus!
}

type LineageEvent { eventId: ID!  eventType: String!  runId: ID  occurredAt: DateTime!  sequence: BigInt!  payload: JSON! }
type Subscription { lineageEvents(eventTypes: [String!], transformName: String): LineageEvent! }
"""
