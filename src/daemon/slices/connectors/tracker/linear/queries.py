"""Every GraphQL document the Linear adapter can send. A test validates each against Linear's published
schema, so a typo or a renamed field fails in CI rather than against a customer's workspace."""

from __future__ import annotations

ISSUE_FIELDS = """
fragment IssueFields on Issue {
  id
  identifier
  title
  description
  url
  createdAt
  updatedAt
  startedAt
  state { id name type }
  team { id key }
  parent { id identifier }
  children(first: 100) { nodes { id identifier state { type } } }
  labels(first: 50) { nodes { name } }
  attachments(first: 50) { nodes { url } }
  inverseRelations(first: 50) { nodes { type issue { identifier } } }
  subIssueSortOrder
}
"""

TEAMS = """
query Teams($first: Int, $after: String) {
  teams(first: $first, after: $after) {
    nodes { id key name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WORKFLOW_STATES = """
query WorkflowStates($teamId: ID!, $first: Int, $after: String) {
  workflowStates(first: $first, after: $after, filter: { team: { id: { eq: $teamId } } }) {
    nodes { id name type position }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ISSUES = (
    """
query Issues($teamId: ID!, $updatedAfter: DateTimeOrDuration, $first: Int, $after: String) {
  issues(
    first: $first
    after: $after
    filter: { team: { id: { eq: $teamId } }, updatedAt: { gte: $updatedAfter } }
  ) {
    nodes { ...IssueFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ISSUE_FIELDS
)

ISSUE = (
    """
query Issue($id: String!) {
  issue(id: $id) { ...IssueFields }
}
"""
    + ISSUE_FIELDS
)

ISSUE_BY_MARKER = (
    """
query IssueByMarker($marker: String!) {
  issues(first: 1, filter: { description: { contains: $marker } }) {
    nodes { ...IssueFields }
  }
}
"""
    + ISSUE_FIELDS
)

CREATE_ISSUE = (
    """
mutation CreateIssue($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

UPDATE_ISSUE = (
    """
mutation UpdateIssue($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) { success issue { ...IssueFields } }
}
"""
    + ISSUE_FIELDS
)

COMMENT = """
mutation Comment($input: CommentCreateInput!) {
  commentCreate(input: $input) { success comment { id body } }
}
"""

LINK_PULL_REQUEST = """
mutation LinkPullRequest($issueId: String!, $url: String!) {
  attachmentLinkGitHubPR(issueId: $issueId, url: $url) { success attachment { id url } }
}
"""

COMMENTS = """
query Comments($id: String!, $first: Int, $after: String) {
  issue(id: $id) {
    comments(first: $first, after: $after) {
      nodes { body createdAt }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

RELATE = """
mutation Relate($input: IssueRelationCreateInput!) {
  issueRelationCreate(input: $input) { success issueRelation { id type } }
}
"""

ALL = {
    "Teams": TEAMS,
    "WorkflowStates": WORKFLOW_STATES,
    "Issues": ISSUES,
    "Issue": ISSUE,
    "IssueByMarker": ISSUE_BY_MARKER,
    "CreateIssue": CREATE_ISSUE,
    "UpdateIssue": UPDATE_ISSUE,
    "Comment": COMMENT,
    "LinkPullRequest": LINK_PULL_REQUEST,
    "Comments": COMMENTS,
    "Relate": RELATE,
}
