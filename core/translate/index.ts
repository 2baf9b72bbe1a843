// One entry point for callers that only know the architecture.
import type { PhysicalImage } from '../image/types';
import type { Arch, VirtualSpace } from './types';
import { createArm64Space, ARM64_MACOS_T1SZ } from './arm64';
import { createX86_64Space } from './x86_64';

export { X86_64Space, createX86_64Space } from './x86_64';
export { Arm64Space, createArm64Space, stripKernelPac, ARM64_MACOS_T1SZ } from './arm64';
export type { Arch, VirtualSpace } from './types';

export function createSpace(arch: Arch, image: PhysicalImage, root: number, t1sz = ARM64_MACOS_T1SZ): VirtualSpace {
  return arch === 'x86_64' ? createX86_64Space(image, root) : createArm64Space(image, root, t1sz);
}
