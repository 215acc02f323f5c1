//! Files as responses: [`FileResponse`].
