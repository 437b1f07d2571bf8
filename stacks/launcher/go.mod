module berth/launcher

go 1.21
