# A CI-runner pool that follows office hours in New York: two runners on weekdays 08:00-18:59, one on
# Saturday mornings, none otherwise; warmed 30 minutes before each window opens.
terraform {
  required_providers {
    prewarm = {
      source = "registry.terraform.io/prewarm/prewarm"
    }
  }
}

provider "prewarm" {}

variable "timezone" {
  type    = string
  default = "America/New_York"
}

variable "weekday_cron" {
  description = "Weekday window: the minute must be *, windows are whole hours."
  type        = string
  default     = "* 8-18 * * 1-5"
}

variable "weekday_runners" {
  type    = number
  default = 2
}

resource "prewarm_template" "runner" {
  name   = "ci-runner"
  driver = "localdir"
  config = {}
}

resource "prewarm_preset" "linux" {
  template   = prewarm_template.runner.name
  name       = "linux-amd64"
  parameters = { arch = "amd64" }

  prebuilds {
    instances = 0

    expiration_policy {
      ttl = 3600
    }

    scheduling {
      timezone  = var.timezone
      lead_time = "30m"

      schedule {
        cron      = var.weekday_cron
        instances = var.weekday_runners
      }

      schedule {
        cron      = "* 8-14 * * 6"
        instances = 1
      }
    }
  }
}

data "prewarm_preset" "linux" {
  template = prewarm_preset.linux.template
  name     = prewarm_preset.linux.name
}

output "desired_now" {
  value = data.prewarm_preset.linux.desired
}
