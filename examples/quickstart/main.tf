# The quickstart pool, managed with Terraform: three prepared developer checkouts kept ready, five on weekdays
# 08:00-17:59 UTC (warmed from 07:30). The same objects as template.json + preset.json, which `npm start`
# applies without Terraform: against that controller, import them first (Terraform never takes over an object
# that exists), and `terraform plan` then shows no changes:
#   terraform import prewarm_template.devbox devbox
#   terraform import prewarm_preset.quickstart devbox/quickstart
terraform {
  required_providers {
    prewarm = {
      source = "registry.terraform.io/prewarm/prewarm"
    }
  }
}

# endpoint and token default to PREWARM_ENDPOINT and PREWARM_TOKEN.
provider "prewarm" {}

variable "instances" {
  description = "How many checkouts to keep ready outside the weekday window."
  type        = number
  default     = 3
}

resource "prewarm_template" "devbox" {
  name   = "devbox"
  driver = "localdir" # examples/drivers/localdir: a directory with a prepared git checkout
  config = {
    build_seconds = "2"
  }

  # Claimed checkouts (workspaces) stop after 8 hours running (30 minutes' notice); one unused for 14 days is
  # stopped and marked dormant, and deleted after 30 more.
  lifecycle_policy {
    autostop_after       = "8h"
    autostop_reminder    = "30m"
    dormant_after        = "14d"
    dormant_delete_after = "30d"
  }
}

resource "prewarm_preset" "quickstart" {
  template    = prewarm_template.devbox.name
  name        = "quickstart"
  description = "Three prepared developer checkouts, always ready; five on weekday working hours (UTC)."
  default     = true
  parameters = {
    editor = "vim"
  }

  prebuilds {
    instances = var.instances
    expiration_policy {
      ttl = 86400
    }
    scheduling {
      timezone  = "UTC"
      lead_time = "30m"
      schedule {
        cron      = "* 8-17 * * 1-5"
        instances = 5
      }
    }
  }
}

data "prewarm_preset" "quickstart" {
  template = prewarm_preset.quickstart.template
  name     = prewarm_preset.quickstart.name
}

output "preset_id" {
  value = prewarm_preset.quickstart.id
}

output "desired" {
  value = data.prewarm_preset.quickstart.desired
}
