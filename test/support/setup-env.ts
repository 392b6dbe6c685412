import * as path from 'path';

// Tests render the pinned charts offline from the shared chart mirror beside the repository,
// unless the caller points CHARTS_DIR elsewhere.
process.env.CHARTS_DIR ??= path.resolve(__dirname, '..', '..', '..', 'shared', 'charts');
