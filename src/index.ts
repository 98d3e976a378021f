export { loadConfig, CONFIG_VARIABLES, SECRET_VARIABLES } from './config.ts';
export type { WundrOtelConfig, ConfigWarning, ConfigResult, Env } from './config.ts';
export { startSdk, getSdk } from './sdk.ts';
export type { WundrSdk, StartOptions } from './sdk.ts';
export type { Feature, SdkBuilder, RunningSdk } from './feature.ts';
export { EndpointServer } from './endpoint/EndpointServer.ts';
export type { Route, RouteResponse, RouteHandler } from './endpoint/EndpointServer.ts';
export { setReady } from './health/feature.ts';
export { PACKAGE_VERSION } from './version.ts';
