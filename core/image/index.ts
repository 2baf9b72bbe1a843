// Public entry points of the container layer.
export { openImage } from './detect';
export { imageCacheStats, setImageCacheLimits } from './cache';
export type { ContainerFormat, PhysicalImage, PhysRange } from './types';
export { adler32, ewfSegmentExtension } from './ewf';
