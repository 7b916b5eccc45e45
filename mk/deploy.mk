# Deployment: mlservice and MinIO on a local minikube cluster (`make up`, `make down`,
# `make logs`) and the ClearML server from clearml-compose.yml (`make clearml-up`,
# `make clearml-down`). Walk-through and troubleshooting: docs/deploy.md.

KUBERNETES_VERSION ?= v1.34.0
MINIKUBE ?= minikube
MINIKUBE_PROFILE ?= minikube
MINIKUBE_FLAGS ?= --memory=4g --cpus=2
# Always the minikube context: never deploy to whatever cluster happens to be current.
KUBECTL ?= kubectl --context=$(MINIKUBE_PROFILE)
DOCKER_COMPOSE ?= docker compose
K8S_NAMESPACE := mlservice
ROLLOUT_TIMEOUT ?= 300s
SECRETS_ENV := k8s/secrets.env
DEPLOY_RUN_DIR := .run
DEPLOY_OVERLAY := $(DEPLOY_RUN_DIR)/k8s
STOP_MINIKUBE ?= 0
LOG_TAIL ?= 200

# A new tag for every build (commit + time), so every `make up` rolls the pods to the new
# image. Expanded once, on first use.
IMAGE_TAG ?= $(eval IMAGE_TAG := $(shell git rev-parse --short HEAD 2>/dev/null || echo nogit)-$(shell date -u +%Y%m%d%H%M%S))$(IMAGE_TAG)

# Local ends of the port-forwards. ClearML's web UI takes 8080 on the host, hence 18080.
REST_LOCAL_PORT ?= 18080
DASHBOARD_LOCAL_PORT ?= 8501
GRPC_LOCAL_PORT ?= 50051
MINIO_LOCAL_PORT ?= 9000
MINIO_CONSOLE_LOCAL_PORT ?= 9001
# MinIO's S3 port is also offered on the Docker bridge, where ClearML's async_delete container
# reaches it as minio:9000 (docs/deploy.md).
DOCKER_BRIDGE_IP ?= $(shell ip -4 -o addr show docker0 2>/dev/null | awk '{print $$4}' | cut -d/ -f1 | head -n 1)
deploy_comma := ,
MINIO_FORWARD_ADDRESS ?= 127.0.0.1$(if $(DOCKER_BRIDGE_IP),$(deploy_comma)$(DOCKER_BRIDGE_IP))

# name|service|local:remote|addresses
DEPLOY_FORWARDS = \
	rest|mlservice-rest|$(REST_LOCAL_PORT):8080|127.0.0.1 \
	dashboard|mlservice-dashboard|$(DASHBOARD_LOCAL_PORT):8501|127.0.0.1 \
	grpc|mlservice-server|$(GRPC_LOCAL_PORT):50051|127.0.0.1 \
	minio|minio|$(MINIO_LOCAL_PORT):9000|$(MINIO_FORWARD_ADDRESS) \
	minio-console|minio|$(MINIO_CONSOLE_LOCAL_PORT):9001|127.0.0.1
deploy_field = $(word $(2),$(subst |, ,$(1)))
deploy_pid = $(DEPLOY_RUN_DIR)/pf-$(call deploy_field,$(1),1).pid
deploy_log = $(DEPLOY_RUN_DIR)/pf-$(call deploy_field,$(1),1).log

# Stop a port-forward by its PID file, and only if that PID is still a port-forward
# (`ps -ww`: the whole command line, even when COLUMNS is set).
define deploy_pf_stop
if [ -f $(call deploy_pid,$(1)) ]; then \
  pid=$$(cat $(call deploy_pid,$(1))); \
  if ps -ww -p $$pid -o args= | grep -q port-forward; then kill $$pid; fi; \
  rm -f $(call deploy_pid,$(1)); \
fi
endef

# Start a port-forward in the background; fail unless it reports "Forwarding" within 15 s
# and is still running.
define deploy_pf_start
nohup $(KUBECTL) -n $(K8S_NAMESPACE) port-forward \
  --address $(call deploy_field,$(1),4) svc/$(call deploy_field,$(1),2) \
  $(call deploy_field,$(1),3) >$(call deploy_log,$(1)) 2>&1 & \
echo $$! >$(call deploy_pid,$(1)); \
for _ in $$(seq 75); do \
  grep -q Forwarding $(call deploy_log,$(1)) && break; sleep 0.2; \
done; \
{ grep -q Forwarding $(call deploy_log,$(1)) && kill -0 $$(cat $(call deploy_pid,$(1))); } \
  || { echo "port-forward $(call deploy_field,$(1),1) failed:" >&2; \
       cat $(call deploy_log,$(1)) >&2; exit 1; }
endef

.PHONY: up down logs clearml-up clearml-down

$(SECRETS_ENV): | k8s/secrets.env.example
	@echo "WARNING: $@ is missing; creating it from k8s/secrets.env.example" \
	  "(development placeholders: edit it before sharing the cluster)." >&2
	cp k8s/secrets.env.example $@

up: $(SECRETS_ENV) ## Start minikube, build the image into it, deploy, wait, port-forward
	@if $(MINIKUBE) -p $(MINIKUBE_PROFILE) status >/dev/null 2>&1; then \
	  echo "minikube ($(MINIKUBE_PROFILE)) is already running"; \
	else \
	  $(MINIKUBE) -p $(MINIKUBE_PROFILE) start --driver=docker \
	    --kubernetes-version=$(KUBERNETES_VERSION) $(MINIKUBE_FLAGS); \
	fi
	$(MINIKUBE) -p $(MINIKUBE_PROFILE) image build -t mlservice:$(IMAGE_TAG) .
	mkdir -p $(DEPLOY_OVERLAY)
	printf '%s\n' 'apiVersion: kustomize.config.k8s.io/v1beta1' 'kind: Kustomization' \
	  'resources: [../../k8s]' 'images: [{name: mlservice, newTag: "$(IMAGE_TAG)"}]' \
	  >$(DEPLOY_OVERLAY)/kustomization.yaml
	$(KUBECTL) -n $(K8S_NAMESPACE) delete job/minio-create-bucket --ignore-not-found
	$(KUBECTL) apply -k $(DEPLOY_OVERLAY)
	$(KUBECTL) -n $(K8S_NAMESPACE) rollout status deployment/minio --timeout=$(ROLLOUT_TIMEOUT)
	$(KUBECTL) -n $(K8S_NAMESPACE) wait --for=condition=complete job/minio-create-bucket \
	  --timeout=$(ROLLOUT_TIMEOUT)
	$(KUBECTL) -n $(K8S_NAMESPACE) rollout status deployment/mlservice-server --timeout=$(ROLLOUT_TIMEOUT)
	$(KUBECTL) -n $(K8S_NAMESPACE) rollout status deployment/mlservice-rest --timeout=$(ROLLOUT_TIMEOUT)
	$(KUBECTL) -n $(K8S_NAMESPACE) rollout status deployment/mlservice-dashboard --timeout=$(ROLLOUT_TIMEOUT)
	@$(foreach f,$(DEPLOY_FORWARDS),$(call deploy_pf_stop,$(f));)
	@$(foreach f,$(DEPLOY_FORWARDS),$(call deploy_pf_start,$(f));)
	@echo ""
	@echo "mlservice is up (image mlservice:$(IMAGE_TAG)); port-forwards run until make down:"
	@echo "  REST API       http://127.0.0.1:$(REST_LOCAL_PORT)/v1/status"
	@echo "  Swagger UI     http://127.0.0.1:$(REST_LOCAL_PORT)/docs"
	@echo "  dashboard      http://127.0.0.1:$(DASHBOARD_LOCAL_PORT)"
	@echo "  gRPC           MLSERVICE_GRPC_TARGET=127.0.0.1:$(GRPC_LOCAL_PORT)"
	@echo "  MinIO console  http://127.0.0.1:$(MINIO_CONSOLE_LOCAL_PORT) (login: $(SECRETS_ENV))"
	@echo "  ClearML UI     http://localhost:8080 (after make clearml-up)"

down: $(SECRETS_ENV) ## Stop the port-forwards and delete the deployment, volumes included
	@$(foreach f,$(DEPLOY_FORWARDS),$(call deploy_pf_stop,$(f));)
	@if $(MINIKUBE) -p $(MINIKUBE_PROFILE) status >/dev/null 2>&1; then \
	  $(KUBECTL) delete -k k8s --ignore-not-found; \
	else \
	  echo "minikube ($(MINIKUBE_PROFILE)) is not running: nothing to delete"; \
	fi
	@if [ "$(STOP_MINIKUBE)" = 1 ]; then $(MINIKUBE) -p $(MINIKUBE_PROFILE) stop; fi

logs: ## Show recent logs of every mlservice pod (LOGS_ARGS=-f to follow)
	$(KUBECTL) -n $(K8S_NAMESPACE) logs -l app.kubernetes.io/part-of=mlservice \
	  --all-containers --prefix --max-log-requests=10 --tail=$(LOG_TAIL) $(LOGS_ARGS)

clearml-up: $(SECRETS_ENV) ## Start the ClearML server (docker compose), credentials from k8s/secrets.env
	$(DOCKER_COMPOSE) -f clearml-compose.yml --env-file $(SECRETS_ENV) up -d
	@echo "ClearML: web UI http://localhost:8080  API http://localhost:8008  files http://localhost:8081"

clearml-down: $(SECRETS_ENV) ## Stop the ClearML server (its data volumes are kept)
	$(DOCKER_COMPOSE) -f clearml-compose.yml --env-file $(SECRETS_ENV) down
