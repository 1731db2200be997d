# A CI preview environment for a pull request, claimed from a warm pool of local preview servers
# (examples/drivers/localproc: an HTTP server on 127.0.0.1 that names its instance). See README.md.
terraform {
  required_providers {
    prewarm = {
      source = "registry.terraform.io/prewarm/prewarm"
    }
  }
}

# endpoint and token default to PREWARM_ENDPOINT and PREWARM_TOKEN.
provider "prewarm" {}

variable "pr" {
  description = "The pull request the preview is for."
  type        = number
  default     = 1
}

variable "idle" {
  description = "Destroy the preview after this long without reported activity."
  type        = string
  default     = "2h"
}

variable "destroy_at" {
  description = "Destroy the preview at this instant at the latest (RFC 3339, e.g. 2026-12-24T18:00:00Z); null for no fixed end."
  type        = string
  default     = null
}

# The pool: in a real setup the platform team's configuration declares it once, and each pull request's
# configuration holds only the prewarm_workspace below.
resource "prewarm_template" "preview" {
  name   = "preview"
  driver = "localproc"

  # What happens to every preview claimed from this template's pool.
  lifecycle_policy {
    autostop_after        = "8h" # stop a preview left running overnight
    autostop_reminder     = "30m"
    stopped_ttl           = "3d" # a stopped preview nobody started again is deleted
    auto_destroy_reminder = "15m"
  }
}

resource "prewarm_preset" "pr" {
  template    = prewarm_template.preview.name
  name        = "pr"
  description = "Warm preview servers, claimed one per pull request."

  prebuilds {
    instances = 2
  }
}

# The preview of one pull request. Reviewers' use is reported with `prewarm workspace activity`; after `idle`
# without any, the controller destroys and archives it, and the next apply claims a fresh one.
resource "prewarm_workspace" "preview" {
  template = prewarm_preset.pr.template
  preset   = prewarm_preset.pr.name
  owner    = "ci/pr-${var.pr}"

  auto_destroy_inactivity = var.idle
  auto_destroy_at         = var.destroy_at
  wait_ready              = "5m" # when the pool is empty, how long to wait for the server built for this claim
}

output "workspace_id" {
  value = prewarm_workspace.preview.id
}

output "preview_url" {
  value = prewarm_workspace.preview.attributes["url"]
}
