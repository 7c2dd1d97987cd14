// What the admin's upload page needs from Uppy, exposed as window.SharelinksUppy.
import Uppy from '@uppy/core'
import AwsS3 from '@uppy/aws-s3'

export { Uppy, AwsS3 }
