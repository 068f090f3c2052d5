/**
 * The components as a library: `import { PrEnvironment, ProgressiveEnvironment } from "rollout-stacks/components"`.
 * Every component, its Args and output types, the types those refer to, and the two helpers that
 * make Args for the platform's components; builders the components use inside stay out.
 */
export { AnalysisTemplates } from "./analysisTemplates";
export { ArgoCd } from "./argoCd";
export { argoRolloutsApplication, ArgoRolloutsController, argoRolloutsMetrics } from "./argoRolloutsController";
export { CertManager } from "./certManager";
export { EnvironmentComponent } from "./environmentComponent";
export { IsolatedNamespace } from "./isolatedNamespace";
export { Monitoring } from "./monitoring";
export { PlatformNetworkPolicies, type PlatformNetworkPoliciesArgs } from "./platformNetworkPolicies";
export { PrEnvironment } from "./prEnvironment";
export { ProgressiveEnvironment } from "./progressiveEnvironment";
export { ProgressiveService } from "./progressiveService";
export { RolloutNotifications } from "./rolloutNotifications";
export { ServiceDeployment } from "./serviceDeployment";
export { ServiceIngress } from "./serviceIngress";

export type { AnalysisTemplatesArgs } from "./analysisTemplates";
export type { AppProjectArgs, ApplicationSource, ArgoCdApplication, ArgoCdArgs, ArgoCdInstall, ClusterResource } from "./argoCd";
export type { ArgoRolloutsApplicationArgs, ArgoRolloutsControllerArgs } from "./argoRolloutsController";
export type { CertManagerArgs, CertManagerInstall, ClusterIssuerArgs } from "./certManager";
export type { EnvironmentOutputs } from "./environmentComponent";
export type { IsolatedNamespaceArgs, NamespaceAllowance, NamespaceQuota } from "./isolatedNamespace";
export type { MonitoringArgs, MonitoringInstall, ScrapeTarget, WebhookCertificates } from "./monitoring";
export type { PrEnvironmentArgs, PrService, PrServiceOutput, SharedBackend } from "./prEnvironment";
export type { EnvironmentService, EnvironmentServiceOutput, ProgressiveEnvironmentArgs } from "./progressiveEnvironment";
export type { ProgressiveServiceArgs, RestartStrategy } from "./progressiveService";
export type { ServiceDeploymentArgs } from "./serviceDeployment";
export type { IngressRoute, IngressTls, ServiceIngressArgs } from "./serviceIngress";
export type { AppMetrics } from "../lib/appMetrics";
export type { BackendEndpoint, BackendKind } from "../lib/backends";
export type { ChartSource, HelmValues } from "../lib/helmCharts";
export type { PodTemplateArgs } from "../lib/podTemplate";
export type {
    AnalysisRef, AnalysisTemplateName, BlueGreenStrategy, CanaryScale, CanaryStep, CanaryStrategy, DeliveryStrategy, IntOrPercent,
    NginxTrafficRouting,
} from "../lib/rolloutStrategy";
export type { ComputeResources, ResourceRequirements, ServiceSpec } from "../lib/service";
