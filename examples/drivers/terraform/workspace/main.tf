# A workspace as a Terraform root module, for prewarm's built-in terraform driver. Built-in resources only, so it
# works offline: each instance gets a home directory and, while started, a small HTTP server on loopback serving it.
# The driver sets the prewarm_* variables; preset parameters arrive as variables of the same name (greeting here).

variable "prewarm_instance_id" {
  type = string
}

variable "prewarm_instance_name" {
  type    = string
  default = "workspace"
}

# "start" on create and start, "stop" on stop, "delete" on destroy.
variable "prewarm_transition" {
  type    = string
  default = "start"
}

variable "greeting" {
  type    = string
  default = "hello"
}

# Seconds the home directory takes to "build" (a stand-in for a slow provisioning step).
variable "build_seconds" {
  type    = string
  default = "0"
}

# Set to "true" by a preset to make every apply fail after the home directory exists (a retryable failure).
variable "fail_apply" {
  type    = string
  default = "false"
}

locals {
  home = "${abspath(path.root)}/home"
  # A port derived from the instance id, so it is known at plan time and stays the same across stop and start.
  port = 20000 + parseint(substr(sha1(var.prewarm_instance_id), 0, 4), 16) % 20000
}

resource "terraform_data" "home" {
  input = { home = local.home }

  provisioner "local-exec" {
    command     = "sleep \"$BUILD_SECONDS\" && mkdir -p \"$HOME_DIR\" && printf '%s from %s\\n' \"$GREETING\" \"$NAME\" > \"$HOME_DIR/index.html\""
    environment = { HOME_DIR = local.home, GREETING = var.greeting, NAME = var.prewarm_instance_name, BUILD_SECONDS = var.build_seconds }
  }

  provisioner "local-exec" {
    when        = destroy
    command     = "rm -rf \"$HOME_DIR\""
    environment = { HOME_DIR = self.input.home }
  }
}

resource "terraform_data" "fail" {
  count      = var.fail_apply == "true" ? 1 : 0
  depends_on = [terraform_data.home]
  provisioner "local-exec" {
    command = "echo 'fail_apply is set: failing on purpose' >&2; exit 1"
  }
}

# Exists only while the workspace is started: stop destroys it (and with it the server), start creates it again.
resource "terraform_data" "server" {
  count = var.prewarm_transition == "start" ? 1 : 0
  input = { home = local.home, port = local.port, script = "${abspath(path.module)}/server.sh" }

  provisioner "local-exec" {
    command = "\"${self.input.script}\" start \"${self.input.home}\" ${self.input.port}"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "\"${self.input.script}\" stop \"${self.input.home}\" ${self.input.port}"
  }

  depends_on = [terraform_data.home]
}

output "home" {
  value = local.home
}

output "url" {
  value = "http://127.0.0.1:${local.port}/"
}

output "state" {
  value = var.prewarm_transition == "start" ? "running" : "stopped"
}
