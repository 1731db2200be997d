# The quickstart pool, managed with Terraform: three prepared developer checkouts kept ready.
# The same pool as template.json + preset.json (which `npm start` applies without Terraform).
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
  description = "How many checkouts to keep ready."
  type        = number
  default     = 3
}

resource "prewarm_template" "devbox" {
  name   = "devbox"
  driver = "localdir" # examples/drivers/localdir: a directory with a prepared git checkout
  config = {
    build_seconds = "2"
  }
}

resource "prewarm_preset" "quickstart" {
  template    = prewarm_template.devbox.name
  name        = "quickstart"
  description = "Prepared developer checkouts, always ready."
  default     = true
  parameters = {
    editor = "vim"
  }

  prebuilds {
    instances = var.instances
    expiration_policy {
      ttl = 86400
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
