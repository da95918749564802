/**
 * Services: ClusterIP allocation (an admission plugin and its repair controller), and the
 * Endpoints and EndpointSlice controllers.
 *
 * @module
 */
export {
  ServiceIPAllocator,
  ServiceIPRepairController,
  serviceIPAllocator,
  setupServiceIPRepairController,
  DEFAULT_SERVICE_CIDR,
} from './service-ip-allocator.js';
export type { ServiceIPAllocatorOptions, ServiceIPRepairOptions } from './service-ip-allocator.js';
export { EndpointsReconciler, setupEndpointsController, repackSubsets, ENDPOINTS_OVER_CAPACITY_ANNOTATION, MAX_ENDPOINTS_ADDRESSES } from './endpoints-controller.js';
export type { EndpointsControllerOptions } from './endpoints-controller.js';
export { EndpointSliceReconciler, setupEndpointSliceController, ENDPOINTSLICE_CONTROLLER_NAME } from './endpoint-slice-controller.js';
export type { EndpointSliceControllerOptions } from './endpoint-slice-controller.js';
export { LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS } from './pod-endpoints.js';
export { parseIpv4Cidr, parseIpv4, formatIpv4 } from './cidr.js';
export type { Ipv4Cidr } from './cidr.js';
