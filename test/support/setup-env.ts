import * as path from 'path';
import { projectRoot } from '../../synth/project-root';

// Tests render the pinned charts offline from the shared chart mirror beside the repository,
// unless the caller points CHARTS_DIR elsewhere.
process.env.CHARTS_DIR ??= path.resolve(projectRoot(), '..', 'shared', 'charts');
