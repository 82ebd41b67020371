// Package lambdazip checks a Lambda deployment package (a zip for a
// provided.al2023 function) for what Lambda needs and would only report
// at the first cold start, or not at all:
//
//   - every entry is readable by anyone, directories can be entered, and
//     bootstrap is executable by anyone: Lambda runs the code as an
//     unprivileged user, so a 0600 model file fails every cold start;
//   - bootstrap is a static ELF executable for the function's architecture
//     (no program interpreter, no shared libraries): provided.al2023 has
//     none of the build host's libraries (libdlib, libopenblas, libjpeg);
//   - the package fits Lambda's quotas: at most MaxZipped bytes as a zip
//     (the direct-upload limit, which the harness uses) and MaxUnzipped
//     bytes unpacked (the limit for any route, S3 included).
//
// function/pack runs Check on the zip it writes; deploy.sh runs it on the
// zip it is about to upload.
package lambdazip
